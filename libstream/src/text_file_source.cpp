#include "text_file_source.hpp"

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "weir/input_file.hpp"

namespace weir::detail {

namespace {
constexpr size_t chunk_bytes = 64 * 1024;
} // namespace

text_file_source::~text_file_source() {
  if (file_ != nullptr) std::fclose(file_);
}

void text_file_source::fail(const std::string& what) const {
  throw std::runtime_error("text file '" + path_ + "': " + what);
}

void text_file_source::seek(uint64_t offset) {
  if (std::fseek(file_, static_cast<long>(offset), SEEK_SET) != 0) fail(std::strerror(errno));
  next_line_ = offset;
  buffer_.clear();
  cursor_ = 0;
  eof_ = false;
}

void text_file_source::open(const subtask_info& info) {
  auto in = open_input_file(path_);
  if (!in) throw std::runtime_error(in.error_value().message());
  auto size = in->size();
  file_ = in->release();
  uint64_t begin = size * info.index / info.parallelism;
  end_ = size * (info.index + 1) / info.parallelism;
  if (restored_) {
    // Its last line may end past the split, so anything up to the file's end is fine.
    if (*restored_ < begin || *restored_ > size)
      fail("the restored position " + std::to_string(*restored_) + " lies outside this subtask's split ["
           + std::to_string(begin) + ", " + std::to_string(end_) + ") of a file of " + std::to_string(size)
           + " bytes: did the file change?");
    seek(*restored_);
    return;
  }
  // A line starting exactly at `begin` is ours, so look from begin - 1 for the
  // newline that ends the previous subtask's last line.
  seek(begin == 0 ? 0 : begin - 1);
  if (begin > 0) {
    for (;;) {
      if (cursor_ == buffer_.size() && !fill()) break;
      char c = buffer_[cursor_++];
      ++next_line_;
      if (c == '\n') break;
    }
  }
}

bool text_file_source::fill() {
  if (eof_) return false;
  buffer_.erase(0, cursor_);
  cursor_ = 0;
  size_t old = buffer_.size();
  buffer_.resize(old + chunk_bytes);
  size_t got = std::fread(&buffer_[old], 1, chunk_bytes, file_);
  buffer_.resize(old + got);
  if (got < chunk_bytes) {
    if (std::ferror(file_)) fail(std::strerror(errno));
    eof_ = true;
  }
  return got > 0;
}

source_status text_file_source::poll(emitter<std::string>& out, size_t max_records) {
  return read_lines(out, max_records) ? source_status::more : source_status::exhausted;
}

bool text_file_source::read_lines(emitter<std::string>& out, size_t max_records) {
  std::string line;
  for (size_t n = 0; n < max_records; ++n) {
    if (next_line_ >= end_) return false;
    size_t nl;
    size_t scanned = 0; // bytes after cursor_ known to hold no newline: a long line is scanned once
    while ((nl = buffer_.find('\n', cursor_ + scanned)) == std::string::npos) {
      scanned = buffer_.size() - cursor_;
      if (scanned > max_line_bytes)
        fail("the line at byte " + std::to_string(next_line_) + " is longer than "
             + std::to_string(max_line_bytes) + " bytes");
      if (!fill()) break; // fill() moves the unread bytes to the front: cursor_ becomes 0
    }
    size_t stop = nl == std::string::npos ? buffer_.size() : nl;
    if (stop == cursor_ && nl == std::string::npos) return false; // no bytes left
    line.assign(buffer_, cursor_, stop - cursor_);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    size_t consumed = (nl == std::string::npos ? stop : nl + 1) - cursor_;
    cursor_ += consumed;
    next_line_ += consumed;
    out.emit(line);
  }
  return next_line_ < end_ && !(eof_ && cursor_ == buffer_.size());
}

} // namespace weir::detail
