#pragma once

#include <string>
#include <vector>

namespace weir::test {

/// The visible part files (part-*) of a sink's output directory, sorted by
/// name. Fails the test if anything else but the directory's lock file is
/// there (an in-progress file or debris of a failed run).
std::vector<std::string> part_files(const std::string& dir);

/// Every line of every visible part file, file by file in name order.
std::vector<std::string> part_lines(const std::string& dir);

} // namespace weir::test
