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

  // The position is that byte offset: a restore seeks there.
  bool has_position() const override { return true; }
  void write_position(byte_writer& out) const override { codec<uint64_t>::encode(next_line_, out); }
  void read_position(byte_reader& in) override { restored_ = codec<uint64_t>::decode(in); }

private:
  bool read_lines(emitter<std::string>& out, size_t max_records);
  bool fill();
  [[noreturn]] void fail(const std::string& what) const;

  void seek(uint64_t offset);

  std::string path_;
  std::optional<uint64_t> restored_;
  std::FILE* file_ = nullptr;
  uint64_t end_ = 0;        // first byte this subtask does not own a line from
  uint64_t next_line_ = 0;  // file offset of buffer_[cursor_]
  std::string buffer_;
  size_t cursor_ = 0;
  bool eof_ = false;
};

} // namespace weir::detail
