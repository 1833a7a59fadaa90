#include "jobs/wordcount.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>

#include "weir/sinks.hpp"
#include "weir/stream.hpp"

namespace weir::apps {

namespace {

using word_count = std::pair<std::string, int64_t>;

bool is_ascii_letter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

expected<uint32_t> parse_parallelism(const job_args& args) {
  auto it = args.find("parallelism");
  if (it == args.end()) return 1u;
  char* end = nullptr;
  long p = std::strtol(it->second.c_str(), &end, 10);
  if (it->second.empty() || *end != '\0' || p < 1 || p > 128)
    return error{errc::bad_argument, "--parallelism must be a number from 1 to 128, got '" + it->second + "'"};
  return static_cast<uint32_t>(p);
}

error build(environment& env, const job_args& args) {
  auto input = args.find("input");
  auto output = args.find("output");
  if (input == args.end() || output == args.end())
    return {errc::bad_argument, "wordcount needs --input FILE and --output DIR"};
  auto p = parse_parallelism(args);
  if (!p) return p.error_value();
  env.set_parallelism(*p);
  env.read_text_file(input->second).uid("lines")
    .flat_map([](const std::string& line, emitter<word_count>& out) {
      thread_local std::vector<std::string> words;
      split_words(line, words);
      for (auto& w : words) out.emit({std::move(w), 1});
    })
    .uid("split")
    .key_by([](const word_count& wc) { return wc.first; })
    .reduce([](const word_count& acc, const word_count& next) {
      return word_count{acc.first, acc.second + next.second};
    })
    .uid("count")
    .map([](const word_count& wc) { return wc.first + "\t" + std::to_string(wc.second); })
    .uid("format")
    .sink(file_sink(output->second))
    .uid("out");
  return {};
}

} // namespace

void split_words(const std::string& line, std::vector<std::string>& words) {
  words.clear();
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && !is_ascii_letter(line[i])) ++i;
    size_t start = i;
    while (i < line.size() && is_ascii_letter(line[i])) ++i;
    if (i == start) continue;
    std::string w = line.substr(start, i - start);
    for (auto& c : w)
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    words.push_back(std::move(w));
  }
}

void register_wordcount() {
  register_job("wordcount", build);
}

expected<std::vector<word_count>> read_final_counts(const std::string& dir) {
  namespace fs = std::filesystem;
  std::map<std::string, int64_t> last;
  std::error_code ec;
  // A subtask's files hold its lines in name order (one per checkpoint).
  std::vector<fs::path> files;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    if (it->path().filename().string().rfind("part-", 0) == 0) files.push_back(it->path());
  if (ec) return error{errc::io, "cannot list '" + dir + "': " + ec.message()};
  std::sort(files.begin(), files.end());
  for (const auto& file : files) {
    std::ifstream in(file);
    std::string line;
    size_t number = 0;
    while (std::getline(in, line)) {
      ++number;
      auto tab = line.find('\t');
      if (tab == std::string::npos)
        return error{errc::io, file.string() + ":" + std::to_string(number) + ": no tab"};
      last[line.substr(0, tab)] = std::stoll(line.substr(tab + 1));
    }
  }
  return std::vector<word_count>(last.begin(), last.end());
}

} // namespace weir::apps
