#include "nexmark/source.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

namespace weir::nexmark {

numbered_lines_source::~numbered_lines_source() {
  if (file_ != nullptr) std::fclose(file_);
  std::free(buffer_);
}

void numbered_lines_source::open(const subtask_info& info) {
  if (info.index != 0) return;
  file_ = std::fopen(path_.c_str(), "rb");
  if (file_ == nullptr)
    throw std::runtime_error("cannot open '" + path_ + "': " + std::strerror(errno));
}

source_status numbered_lines_source::poll(emitter<numbered_line>& out, size_t max_records) {
  if (file_ == nullptr) return source_status::exhausted;
  for (size_t n = 0; n < max_records; ++n) {
    ssize_t got = ::getline(&buffer_, &capacity_, file_);
    if (got < 0) {
      if (std::ferror(file_)) throw std::runtime_error("cannot read '" + path_ + "': " + std::strerror(errno));
      return source_status::exhausted;
    }
    ++line_;
    size_t len = static_cast<size_t>(got);
    while (len > 0 && (buffer_[len - 1] == '\n' || buffer_[len - 1] == '\r')) --len;
    if (len == 0) continue; // blank lines (a trailing one is common) carry no event
    out.emit({line_, std::string(buffer_, len)});
  }
  return source_status::more;
}

} // namespace weir::nexmark
