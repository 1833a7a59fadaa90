#include "support/part_files.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>

namespace weir::test {

std::vector<std::string> part_files(const std::string& dir, bool failed_run) {
  std::vector<std::string> files;
  for (auto& entry : std::filesystem::directory_iterator(dir)) {
    auto name = entry.path().filename().string();
    if (name == ".weir-lock" || (failed_run && name.front() == '.')) continue;
    INFO("in " << dir);
    REQUIRE(name.rfind("part-", 0) == 0); // nothing hidden or in progress is left behind
    files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<std::string> part_lines(const std::string& dir, bool failed_run) {
  std::vector<std::string> lines;
  for (const auto& file : part_files(dir, failed_run)) {
    std::ifstream in(file);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
  }
  return lines;
}

std::map<std::string, int64_t> counts_committed_once(const std::string& dir) {
  std::map<std::string, int64_t> last;
  for (const auto& line : part_lines(dir)) {
    auto tab = line.find('\t');
    auto word = line.substr(0, tab);
    auto c = std::stoll(line.substr(tab + 1));
    INFO(word);
    REQUIRE(c == last[word] + 1); // each count once, in order
    last[word] = c;
  }
  return last;
}

size_t count_visible_lines(const std::string& dir) {
  size_t lines = 0;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    auto name = it->path().filename().string();
    if (name.rfind("part-", 0) != 0) continue;
    std::ifstream in(it->path()); // renamed away meanwhile: nothing to count
    for (std::string line; std::getline(in, line);) ++lines;
  }
  return lines;
}

} // namespace weir::test
