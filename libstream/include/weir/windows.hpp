#pragma once

/// \file
/// Windows on event time: tumbling, sliding and session windows,
/// aligned to the epoch, each covering [start, end) in milliseconds.

#include <chrono>
#include <cstdint>
#include <tuple>
#include <vector>

namespace weir {

/// A window of event time: records with start <= timestamp < end.
struct time_window {
  int64_t start = 0; ///< The first timestamp inside, ms.
  int64_t end = 0;   ///< One past the last timestamp inside, ms.

  /// The last timestamp inside the window; it fires when the watermark reaches it.
  int64_t max_timestamp() const noexcept { return end - 1; }
  /// Windows that share a timestamp intersect (and merge, for sessions).
  /// Touching windows ([a, b) and [b, c)) do not: a session [a, b) fires once
  /// the watermark reaches b - 1, so a record at b, which may arrive before or
  /// after that watermark, must not decide whether it merges. (Flink merges
  /// touching sessions, and its result then depends on that timing.)
  bool intersects(const time_window& other) const noexcept {
    return start < other.end && end > other.start;
  }
  /// The smallest window holding both: what two merging sessions become.
  time_window cover(const time_window& other) const noexcept {
    return {start < other.start ? start : other.start, end > other.end ? end : other.end};
  }
  /// Orders by start, then by end.
  bool operator<(const time_window& o) const noexcept {
    return std::tie(start, end) < std::tie(o.start, o.end);
  }
  /// The same start and end.
  bool operator==(const time_window& o) const noexcept { return start == o.start && end == o.end; }
};

/// Which windows a record belongs to. A value type; construction validates
/// its sizes and throws std::invalid_argument naming the bad one.
class window_assigner {
public:
  /// The shape of the windows: tumbling, sliding or session.
  enum class kind : uint8_t { tumbling, sliding, session };

  /// Windows of `size`, back to back, starting at multiples of size (+ offset).
  static window_assigner tumbling(std::chrono::milliseconds size,
                                  std::chrono::milliseconds offset = std::chrono::milliseconds(0));
  /// Windows of `size` starting every `slide`: a record is in size / slide of them.
  static window_assigner sliding(std::chrono::milliseconds size, std::chrono::milliseconds slide,
                                 std::chrono::milliseconds offset = std::chrono::milliseconds(0));
  /// Per key, records less than `gap` apart share a window; windows merge
  /// when a record bridges them. A session ends `gap` after its last record.
  static window_assigner session(std::chrono::milliseconds gap);

  /// Appends the windows of a record with `timestamp` to `out`.
  void assign(int64_t timestamp, std::vector<time_window>& out) const;
  /// Whether windows merge (sessions): a record may join windows of its key.
  bool merging() const noexcept { return kind_ == kind::session; }
  /// Windows on processing time: a record's time is the clock's when it
  /// arrives, windows fire when the clock passes their end (and, so nothing
  /// is dropped, at end of input). Tumbling and sliding only.
  window_assigner on_processing_time() const;
  /// Whether the windows are on processing time (see on_processing_time).
  bool processing_time() const noexcept { return processing_time_; }
  /// The shape of the windows.
  kind type() const noexcept { return kind_; }

private:
  window_assigner(kind k, int64_t size, int64_t slide, int64_t offset)
    : kind_(k), size_(size), slide_(slide), offset_(offset) {}

  kind kind_;
  bool processing_time_ = false;
  int64_t size_;   // window size, or session gap
  int64_t slide_;
  int64_t offset_;
};

/// Flink's names for the assigners: TumblingEventTimeWindows.
struct tumbling_event_time_windows {
  /// As window_assigner::tumbling.
  static window_assigner of(std::chrono::milliseconds size,
                            std::chrono::milliseconds offset = std::chrono::milliseconds(0)) {
    return window_assigner::tumbling(size, offset);
  }
};
/// Flink's SlidingEventTimeWindows.
struct sliding_event_time_windows {
  /// As window_assigner::sliding.
  static window_assigner of(std::chrono::milliseconds size, std::chrono::milliseconds slide,
                            std::chrono::milliseconds offset = std::chrono::milliseconds(0)) {
    return window_assigner::sliding(size, slide, offset);
  }
};
/// Flink's TumblingProcessingTimeWindows.
struct tumbling_processing_time_windows {
  /// As window_assigner::tumbling, on processing time.
  static window_assigner of(std::chrono::milliseconds size,
                            std::chrono::milliseconds offset = std::chrono::milliseconds(0)) {
    return window_assigner::tumbling(size, offset).on_processing_time();
  }
};
/// Flink's SlidingProcessingTimeWindows.
struct sliding_processing_time_windows {
  /// As window_assigner::sliding, on processing time.
  static window_assigner of(std::chrono::milliseconds size, std::chrono::milliseconds slide,
                            std::chrono::milliseconds offset = std::chrono::milliseconds(0)) {
    return window_assigner::sliding(size, slide, offset).on_processing_time();
  }
};
/// Flink's EventTimeSessionWindows.
struct event_time_session_windows {
  /// As window_assigner::session.
  static window_assigner with_gap(std::chrono::milliseconds gap) {
    return window_assigner::session(gap);
  }
};

/// The start of the window of `size` (aligned to the epoch + offset) that
/// holds `timestamp`; correct for negative timestamps too.
int64_t window_start(int64_t timestamp, int64_t offset, int64_t size) noexcept;

} // namespace weir
