#include "jobs/wordcount.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

#include "jobs/job_args.hpp"
#include "weir/sinks.hpp"
#include "weir/stream.hpp"

namespace weir::apps {

namespace {

using word_count = std::pair<std::string, int64_t>;

bool is_ascii_letter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/// Prints the most frequent words the run committed to `dir`. With nodes the
/// sink may have written `dir` on another machine: said, not an error.
/// Otherwise a committed output that cannot be read is one (false).
bool print_top(const std::string& dir, size_t top, bool on_nodes) {
  std::error_code ec;
  if (on_nodes && !std::filesystem::exists(dir, ec)) {
    std::printf("the output is in %s on the node(s) that ran the sink, not in this file system: "
                "top words are not shown\n", dir.c_str());
    return true;
  }
  auto counts = read_final_counts(dir);
  if (!counts) {
    std::fprintf(stderr, "weir run: the job succeeded but its output cannot be read: %s\n",
                 counts.error_value().to_string().c_str());
    return false;
  }
  auto& v = *counts;
  std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  std::printf("top words:\n");
  for (size_t i = 0; i < std::min(top, v.size()); ++i)
    std::printf("  %-16s %lld\n", v[i].first.c_str(), static_cast<long long>(v[i].second));
  std::printf("distinct words: %zu\n", v.size());
  return true;
}

error build(environment& env, const job_args& args) {
  auto input = args.find("input");
  auto output = args.find("output");
  if (input == args.end() || output == args.end())
    return {errc::bad_argument, "wordcount needs --input FILE and --output DIR"};
  auto top = job_number(args, "top", 10, 0, 1000000);
  if (!top) return top.error_value();
  auto p = job_parallelism(args);
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

void register_wordcount(const std::string& sample_text) {
  job_info info;
  info.summary = "count words (maximal runs of ASCII letters, lowercased) in a text file; "
                 "writes DIR/part-* files of \"word<TAB>running count\" lines, the last line of a "
                 "word holding its final count";
  info.options = {
      {"input", sample_text, "the text to read", false, true},
      {"output", "out/wordcount",
       "where part files go; this job's earlier part files there are replaced", false, true},
      {"top", "10", "print the N most frequent words", false, false}};
  info.input_files = {"input"};
  info.output_dirs = {"output"};
  info.report = [](const job_args& args, const job_result&, bool on_nodes) {
    return print_top(args.at("output"), *job_number(args, "top", 10, 0, 1000000), on_nodes);
  };
  register_job("wordcount", build, std::move(info));
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
