#pragma once

/// \file
/// Opening a job's input file: the checks every file source makes, so
/// a wrong path fails at once with the reason instead of hanging or reading
/// nothing.

#include <cstdint>
#include <cstdio>
#include <string>

#include "weir/error.hpp"

namespace weir {

/// An open input file and its size in bytes. Owns `file` (closes it).
class input_file {
public:
  /// Takes ownership of `file`, which is `size` bytes long.
  input_file(std::FILE* file, uint64_t size) noexcept : file_(file), size_(size) {}
  /// Takes `other`'s file; `other` then owns none.
  input_file(input_file&& other) noexcept : file_(other.file_), size_(other.size_) { other.file_ = nullptr; }
  /// Closes the file held, if any, and takes `other`'s; `other` then owns none.
  input_file& operator=(input_file&& other) noexcept;
  input_file(const input_file&) = delete;
  input_file& operator=(const input_file&) = delete;
  /// Closes the file, if it still owns one.
  ~input_file();

  /// The file, still owned by this object; null after release() or a move.
  std::FILE* get() const noexcept { return file_; }
  /// The file's size in bytes when it was opened.
  uint64_t size() const noexcept { return size_; }
  /// Gives up ownership: the caller closes the returned file.
  std::FILE* release() noexcept;

private:
  std::FILE* file_;
  uint64_t size_;
};

/// Opens `path` for reading as a job's input. It must be a regular file: a
/// FIFO, device, socket or directory is refused (without blocking on a FIFO
/// that has no writer), and so is a file that reports a size of 0 but has
/// content (/proc and /sys files), since sources split and checkpoint files
/// by byte offset. Errors are errc::io and name the path and the problem.
expected<input_file> open_input_file(const std::string& path);

} // namespace weir
