#include "weir/windows.hpp"

#include <stdexcept>
#include <string>

namespace weir {

namespace {

int64_t positive(std::chrono::milliseconds d, const char* what) {
  if (d.count() <= 0)
    throw std::invalid_argument(std::string("weir: window ") + what + " must be positive, got "
                                + std::to_string(d.count()) + " ms");
  return static_cast<int64_t>(d.count());
}

int64_t checked_offset(std::chrono::milliseconds offset, int64_t period) {
  auto o = static_cast<int64_t>(offset.count());
  if (o <= -period || o >= period)
    throw std::invalid_argument("weir: window offset " + std::to_string(o)
                                + " ms must be smaller than the window's period");
  return o;
}

} // namespace

int64_t window_start(int64_t timestamp, int64_t offset, int64_t size) noexcept {
  // (timestamp - offset) mod size, without computing timestamp - offset,
  // which overflows near the ends of int64.
  int64_t r = (timestamp % size - offset % size) % size;
  if (r < 0) r += size;
  return timestamp < INT64_MIN + r ? INT64_MIN : timestamp - r;
}

namespace {
// Window ends clamp at the end of time instead of overflowing.
int64_t end_of(int64_t start, int64_t size) noexcept {
  return start > INT64_MAX - size ? INT64_MAX : start + size;
}
} // namespace

window_assigner window_assigner::tumbling(std::chrono::milliseconds size,
                                          std::chrono::milliseconds offset) {
  int64_t s = positive(size, "size");
  return {kind::tumbling, s, s, checked_offset(offset, s)};
}

window_assigner window_assigner::sliding(std::chrono::milliseconds size,
                                         std::chrono::milliseconds slide,
                                         std::chrono::milliseconds offset) {
  int64_t s = positive(size, "size");
  int64_t sl = positive(slide, "slide");
  return {kind::sliding, s, sl, checked_offset(offset, sl)};
}

window_assigner window_assigner::session(std::chrono::milliseconds gap) {
  return {kind::session, positive(gap, "session gap"), 0, 0};
}

window_assigner window_assigner::on_processing_time() const {
  if (merging())
    throw std::invalid_argument("weir: session windows are on event time only");
  window_assigner copy = *this;
  copy.processing_time_ = true;
  return copy;
}

void window_assigner::assign(int64_t timestamp, std::vector<time_window>& out) const {
  switch (kind_) {
    case kind::tumbling: {
      int64_t start = window_start(timestamp, offset_, size_);
      out.push_back({start, end_of(start, size_)});
      break;
    }
    case kind::sliding: {
      int64_t last = window_start(timestamp, offset_, slide_);
      int64_t lowest = timestamp < INT64_MIN + size_ ? INT64_MIN : timestamp - size_;
      for (int64_t start = last; start > lowest; start -= slide_) {
        out.push_back({start, end_of(start, size_)});
        if (start < INT64_MIN + slide_) break;
      }
      break;
    }
    case kind::session:
      out.push_back({timestamp, end_of(timestamp, size_)});
      break;
  }
}

} // namespace weir
