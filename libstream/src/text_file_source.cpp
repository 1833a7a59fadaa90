#include "text_file_source.hpp"

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "weir/input_file.hpp"

namespace weir::detail {

namespace {
constexpr size_t chunk_bytes = 64 * 1024;
constexpr uint64_t ranges_marker = UINT64_MAX; // never a byte offset
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

void text_file_source::seek_line_from(uint64_t begin) {
  // A line starting exactly at `begin` is ours, so look from begin - 1 for the
  // newline that ends the line before it.
  seek(begin == 0 ? 0 : begin - 1);
  if (begin == 0) return;
  for (;;) {
    if (cursor_ == buffer_.size() && !fill()) break;
    char c = buffer_[cursor_++];
    ++next_line_;
    if (c == '\n') break;
  }
}

void text_file_source::open(const subtask_info& info) {
  auto in = open_input_file(path_);
  if (!in) throw std::runtime_error(in.error_value().message());
  auto size = in->size();
  file_ = in->release();
  uint64_t begin = size * info.index / info.parallelism;
  end_ = size * (info.index + 1) / info.parallelism;
  if (rescaled_from_ > 0 || restored_ranges_) {
    own_range_ = false;
    if (rescaled_from_ > 0) {
      queued_ = rescaled_ranges(size);
      for (auto& r : queued_) { // every position written later is a line start
        if (r.aligned) continue;
        seek_line_from(r.next);
        r.next = next_line_;
        r.aligned = true;
      }
    } else {
      for (const auto& [next, end] : *restored_ranges_) {
        if (next > size || end > size) fail("a restored range ends past the file's " + std::to_string(size) + " bytes: did the file change?");
        queued_.push_back({next, end, true});
      }
    }
    end_ = 0; // nothing current: the first read moves to the first range
    next_line_ = 0;
    return;
  }
  if (restored_) {
    // Its last line may end past the split, so anything up to the file's end is fine.
    if (*restored_ < begin || *restored_ > size)
      fail("the restored position " + std::to_string(*restored_) + " lies outside this subtask's split ["
           + std::to_string(begin) + ", " + std::to_string(end_) + ") of a file of " + std::to_string(size)
           + " bytes: did the file change?");
    seek(*restored_);
    return;
  }
  seek_line_from(begin);
}

std::vector<text_file_source::range> text_file_source::rescaled_ranges(uint64_t size) const {
  std::vector<range> out;
  for (const auto& [old, position] : rescaled_) {
    uint64_t begin = size * old / rescaled_from_, end = size * (old + 1) / rescaled_from_;
    if (position.empty()) { // that subtask had not started: its whole range, from its first line
      out.push_back({begin, end, false});
      continue;
    }
    text_file_source parsed(path_);
    byte_reader r(position);
    parsed.read_position(r);
    if (!r.ok() || !r.at_end()) fail("the stored position of old subtask " + std::to_string(old) + " does not decode");
    if (parsed.restored_) {
      if (*parsed.restored_ < begin || *parsed.restored_ > size)
        fail("old subtask " + std::to_string(old) + "'s position " + std::to_string(*parsed.restored_)
             + " lies outside its split: did the file change?");
      out.push_back({*parsed.restored_, end, true});
    }
    if (parsed.restored_ranges_)
      for (const auto& [next, range_end] : *parsed.restored_ranges_) out.push_back({next, range_end, true});
  }
  return out;
}

bool text_file_source::next_range() {
  while (!queued_.empty()) {
    auto r = queued_.front();
    queued_.erase(queued_.begin());
    if (r.aligned) seek(r.next);
    else seek_line_from(r.next);
    end_ = r.end;
    if (next_line_ < end_) return true;
  }
  return false;
}

void text_file_source::write_position(byte_writer& out) const {
  if (own_range_) {
    codec<uint64_t>::encode(next_line_, out);
    return;
  }
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  if (next_line_ < end_) ranges.emplace_back(next_line_, end_);
  for (const auto& r : queued_) ranges.emplace_back(r.next, r.end); // aligned at open()
  codec<uint64_t>::encode(ranges_marker, out);
  codec<std::vector<std::pair<uint64_t, uint64_t>>>::encode(ranges, out);
}

void text_file_source::read_position(byte_reader& in) {
  auto first = codec<uint64_t>::decode(in);
  if (first != ranges_marker) {
    restored_ = first;
    return;
  }
  restored_ranges_ = codec<std::vector<std::pair<uint64_t, uint64_t>>>::decode(in);
}

bool text_file_source::read_rescaled_positions(const subtask_info& now, const std::vector<std::string>& positions) {
  rescaled_from_ = static_cast<uint32_t>(positions.size());
  for (uint32_t i = now.index; i < positions.size(); i += now.parallelism) rescaled_.emplace_back(i, positions[i]);
  return true;
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
    if (next_line_ >= end_ && !next_range()) return false;
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
    if (stop == cursor_ && nl == std::string::npos) { // no bytes left in the file: this range is done
      end_ = next_line_;
      if (!next_range()) return false;
      --n;
      continue;
    }
    line.assign(buffer_, cursor_, stop - cursor_);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    size_t consumed = (nl == std::string::npos ? stop : nl + 1) - cursor_;
    cursor_ += consumed;
    next_line_ += consumed;
    out.emit(line);
  }
  return (next_line_ < end_ && !(eof_ && cursor_ == buffer_.size())) || !queued_.empty();
}

} // namespace weir::detail
