#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace weir::runtime {

/// Event time across a task's input channels: each channel's latest
/// watermark, whether it is idle or ended, and their combination (Flink's
/// rules): the minimum over channels that are neither idle nor ended; a
/// channel with no watermark yet holds the minimum at -infinity. Not thread-safe.
class watermark_tracker {
public:
  explicit watermark_tracker(size_t inputs) : inputs_(inputs) {}

  /// A watermark arrived on `input`; it also makes the input active again.
  /// Watermarks are monotonic per channel: an older one is ignored.
  void on_watermark(size_t input, int64_t watermark);
  /// A record arrived on `input`: an idle input becomes active again.
  void on_record(size_t input) { inputs_[input].idle = false; }
  void on_idle(size_t input) { inputs_[input].idle = true; }
  void on_end(size_t input) { inputs_[input].ended = true; }

  /// The combined watermark, or nothing when every input that has not ended
  /// is idle (the task is idle itself). INT64_MAX once all inputs ended.
  std::optional<int64_t> combined() const;

  /// The highest watermark of any input that has not ended. When all inputs
  /// go idle, event time advances to it (as Flink's valve does): records
  /// seen up to there must not wait for inputs that have nothing to send.
  int64_t highest() const;

private:
  struct input {
    int64_t watermark = INT64_MIN;
    bool idle = false;
    bool ended = false;
  };
  std::vector<input> inputs_;
};

} // namespace weir::runtime
