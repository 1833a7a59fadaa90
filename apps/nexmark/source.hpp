#pragma once

#include <cstdio>
#include <string>
#include <utility>

#include "weir/functions.hpp"

namespace weir::nexmark {

/// A line of the input with its 1-based line number.
using numbered_line = std::pair<int64_t, std::string>;

/// Reads a file's lines with their line numbers, so a parse error downstream
/// can name file and line at any parsing parallelism. Runs as one subtask
/// (subtasks other than 0 read nothing). Reads at most max_records lines per poll.
class numbered_lines_source final : public source_function<numbered_line> {
public:
  explicit numbered_lines_source(std::string path) : path_(std::move(path)) {}
  ~numbered_lines_source() override;

  void open(const subtask_info& info) override;
  source_status poll(emitter<numbered_line>& out, size_t max_records) override;

private:
  std::string path_;
  std::FILE* file_ = nullptr;
  char* buffer_ = nullptr;
  size_t capacity_ = 0;
  int64_t line_ = 0;
};

} // namespace weir::nexmark
