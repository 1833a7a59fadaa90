#pragma once

#include <cstdio>
#include <optional>
#include <string>

#include "weir/functions.hpp"

namespace weir::detail {

/// Reads the lines of one file. Subtask i of p owns the lines that start in
/// the byte range [i * size / p, (i + 1) * size / p): a line belongs to the
/// subtask in whose range its first byte lies, so every line is read exactly
/// once at any parallelism. A line's position is the byte offset of its start.
/// Restored at another parallelism, new subtask j reads on the ranges of the
/// old subtasks i with i % parallelism == j, one after the other.
class text_file_source final : public source_function<std::string> {
public:
  /// A longer line fails the source (naming its byte offset) instead of
  /// growing memory: a record must fit in a frame anyway.
  static constexpr size_t max_line_bytes = 8u << 20;

  explicit text_file_source(std::string path) : path_(std::move(path)) {}
  ~text_file_source() override;

  void open(const subtask_info& info) override;
  source_status poll(emitter<std::string>& out, size_t max_records) override;

  /// Byte offset of the next line this subtask will read.
  uint64_t position() const noexcept { return next_line_; }

  // The position is that byte offset: a restore seeks there. A subtask
  // reading several ranges (after rescaling) writes each one's next line
  // and end after a marker that is no offset.
  bool has_position() const override { return true; }
  void write_position(byte_writer& out) const override;
  void read_position(byte_reader& in) override;
  bool read_rescaled_positions(const subtask_info& now, const std::vector<std::string>& positions) override;

private:
  /// A byte range whose lines a subtask reads: from `next` (a line start,
  /// or a range start to align when `aligned` is false) up to `end`.
  struct range {
    uint64_t next = 0;
    uint64_t end = 0;
    bool aligned = true;
  };

  bool read_lines(emitter<std::string>& out, size_t max_records);
  bool fill();
  [[noreturn]] void fail(const std::string& what) const;
  void seek(uint64_t offset);
  /// Seeks to the first line starting at or after `begin`.
  void seek_line_from(uint64_t begin);
  /// The ranges of a restore at another parallelism, for a file of `size` bytes.
  std::vector<range> rescaled_ranges(uint64_t size) const;
  /// Moves on to the next queued range; false when none is left.
  bool next_range();

  std::string path_;
  std::optional<uint64_t> restored_;
  std::optional<std::vector<std::pair<uint64_t, uint64_t>>> restored_ranges_; // next, end
  std::vector<std::pair<uint32_t, std::string>> rescaled_; // old subtask, position (of rescaled_from_)
  uint32_t rescaled_from_ = 0;
  std::vector<range> queued_; // ranges after the current one, in order
  bool own_range_ = true;     // reading only this subtask's own range: the position is one offset
  std::FILE* file_ = nullptr;
  uint64_t end_ = 0;        // first byte this subtask does not own a line from
  uint64_t next_line_ = 0;  // file offset of buffer_[cursor_]
  std::string buffer_;
  size_t cursor_ = 0;
  bool eof_ = false;
};

} // namespace weir::detail
