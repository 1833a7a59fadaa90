#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "weir/functions.hpp"

namespace weir::nexmark {

/// A line of the input with its 1-based line number.
using numbered_line = std::pair<int64_t, std::string>;

/// Reads a file's lines with their line numbers, so a parse error downstream
/// can name file and line at any parsing parallelism. Runs as one subtask
/// (subtasks other than 0 read nothing). Reads at most max_records lines per
/// poll, in 64 KiB chunks.
class numbered_lines_source final : public source_function<numbered_line> {
public:
  /// A longer line fails the source naming file and line, instead of growing
  /// memory without bound (a file of zeroes, say).
  static constexpr size_t max_line_bytes = 1u << 20;

  explicit numbered_lines_source(std::string path) : path_(std::move(path)) {}
  ~numbered_lines_source() override;

  void open(const subtask_info& info) override;
  source_status poll(emitter<numbered_line>& out, size_t max_records) override;

  // The position: the byte offset of the next line and its line number.
  bool has_position() const override { return true; }
  void write_position(byte_writer& out) const override;
  void read_position(byte_reader& in) override;
  /// Subtask 0 reads everything at any parallelism: it takes old subtask 0's position.
  bool read_rescaled_positions(const subtask_info& now, const std::vector<std::string>& positions) override;

private:
  bool next_line(std::string& line);
  bool fill();

  std::string path_;
  std::FILE* file_ = nullptr;
  std::vector<char> chunk_;
  size_t pos_ = 0; // next unread byte of chunk_
  size_t len_ = 0; // bytes of chunk_ holding data
  int64_t line_ = 0;     // lines read so far
  uint64_t offset_ = 0;  // byte offset of the next line
  bool restored_ = false;
};

} // namespace weir::nexmark
