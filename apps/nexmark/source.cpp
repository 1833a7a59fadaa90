#include "nexmark/source.hpp"

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "weir/input_file.hpp"

namespace weir::nexmark {

numbered_lines_source::~numbered_lines_source() {
  if (file_ != nullptr) std::fclose(file_);
}

void numbered_lines_source::open(const subtask_info& info) {
  if (info.index != 0) return;
  auto in = open_input_file(path_);
  if (!in) throw std::runtime_error(in.error_value().message());
  file_ = in->release();
  chunk_.resize(64 * 1024);
  if (restored_ && (offset_ > in->size() || std::fseek(file_, static_cast<long>(offset_), SEEK_SET) != 0))
    throw std::runtime_error("cannot continue '" + path_ + "' at byte " + std::to_string(offset_)
                             + " (line " + std::to_string(line_ + 1) + "): did the file change?");
}

void numbered_lines_source::write_position(byte_writer& out) const {
  codec<uint64_t>::encode(offset_, out);
  codec<int64_t>::encode(line_, out);
}

void numbered_lines_source::read_position(byte_reader& in) {
  offset_ = codec<uint64_t>::decode(in);
  line_ = codec<int64_t>::decode(in);
  restored_ = true;
}

bool numbered_lines_source::read_rescaled_positions(const subtask_info& now,
                                                    const std::vector<std::string>& positions) {
  if (now.index != 0 || positions.empty() || positions[0].empty()) return true;
  byte_reader in(positions[0]);
  read_position(in);
  return in.ok() && in.at_end();
}

bool numbered_lines_source::fill() {
  len_ = std::fread(chunk_.data(), 1, chunk_.size(), file_);
  pos_ = 0;
  if (len_ == 0 && std::ferror(file_))
    throw std::runtime_error("cannot read '" + path_ + "': " + std::strerror(errno));
  return len_ > 0;
}

// The next line without its terminator; false at the end of the file.
bool numbered_lines_source::next_line(std::string& line) {
  line.clear();
  bool any = false;
  for (;;) {
    if (pos_ == len_ && !fill()) return any;
    any = true;
    const char* start = chunk_.data() + pos_;
    const auto* nl = static_cast<const char*>(std::memchr(start, '\n', len_ - pos_));
    size_t take = nl != nullptr ? static_cast<size_t>(nl - start) : len_ - pos_;
    if (line.size() + take > max_line_bytes)
      throw std::runtime_error(path_ + ":" + std::to_string(line_ + 1) + ": line longer than "
                               + std::to_string(max_line_bytes) + " bytes");
    line.append(start, take);
    pos_ += take + (nl != nullptr ? 1 : 0);
    offset_ += take + (nl != nullptr ? 1 : 0);
    if (nl != nullptr) return true;
  }
}

source_status numbered_lines_source::poll(emitter<numbered_line>& out, size_t max_records) {
  if (file_ == nullptr) return source_status::exhausted;
  std::string line;
  for (size_t n = 0; n < max_records; ++n) {
    if (!next_line(line)) return source_status::exhausted;
    ++line_;
    while (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue; // blank lines (a trailing one is common) carry no event
    out.emit({line_, line});
  }
  return source_status::more;
}

} // namespace weir::nexmark
