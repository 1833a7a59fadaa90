#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace weir::test {

/// The visible part files (part-*) of a sink's output directory, sorted by
/// name. Unless `failed_run`, fails the test if anything else but the
/// directory's lock file is there (an in-progress file: debris a successful
/// run must not leave; a failed run leaves its uncommitted files hidden).
std::vector<std::string> part_files(const std::string& dir, bool failed_run = false);

/// Every line of every visible part file, file by file in name order.
std::vector<std::string> part_lines(const std::string& dir, bool failed_run = false);

/// Word count's output ("word<TAB>count" lines) checked for exactly-once:
/// each word's counts run 1, 2, ..., n in file order (fails the test
/// otherwise); returns n per word. Main thread only.
std::map<std::string, int64_t> counts_committed_once(const std::string& dir);

/// How many lines the visible part files of `dir` hold (0 while it does not
/// exist). Unlike the two above it uses no Catch2 macro, whose message stack
/// is not thread-safe, so a job's own functions may call it from runtime
/// threads while a sink renames files in `dir`.
size_t count_visible_lines(const std::string& dir);

} // namespace weir::test
