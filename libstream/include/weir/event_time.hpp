#pragma once

/// \file
/// Event time: timestamp assigners and watermark strategies. Times are
/// milliseconds since the epoch (int64). A watermark W promises that no later
/// record has a timestamp <= W; windows and timers fire on it.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <type_traits>

namespace weir {

/// The smallest watermark: nothing is known about event time yet.
constexpr int64_t min_watermark = INT64_MIN;
/// The final watermark: event time has ended (end of input).
constexpr int64_t max_watermark = INT64_MAX;

/// Derives watermarks from the records a subtask sees. One instance per
/// subtask, called from one thread; current_watermark() must never decrease.
template <class T>
class watermark_generator {
public:
  virtual ~watermark_generator() = default;
  /// Sees one record and its event timestamp (ms).
  virtual void on_event(const T& value, int64_t timestamp) = 0;
  /// The watermark now (ms); min_watermark until anything is known.
  virtual int64_t current_watermark() const = 0;
};

/// Watermark = highest timestamp seen - bound - 1: records may arrive up to
/// `bound` ms out of order without being late.
template <class T>
class bounded_out_of_orderness_generator final : public watermark_generator<T> {
public:
  /// Allows records up to `bound_ms` ms out of order.
  explicit bounded_out_of_orderness_generator(int64_t bound_ms) : bound_(bound_ms) {}
  /// Keeps the highest timestamp seen.
  void on_event(const T&, int64_t timestamp) override { max_ = std::max(max_, timestamp); }
  /// Highest timestamp - bound - 1, clamped at min_watermark; min_watermark
  /// before the first record.
  int64_t current_watermark() const override {
    if (max_ == min_watermark) return min_watermark;
    // max_ - bound_ - 1 without overflow for timestamps near the bottom of int64.
    return max_ < min_watermark + bound_ + 1 ? min_watermark : max_ - bound_ - 1;
  }

private:
  int64_t bound_;
  int64_t max_ = min_watermark;
};

/// How a stream gets event time: which timestamp each record has, and how
/// watermarks follow from them. A value type; copy it freely.
template <class T>
class watermark_strategy {
public:
  /// Makes a fresh generator; called once per subtask.
  using generator_factory = std::function<std::unique_ptr<watermark_generator<T>>()>;
  /// (record, its current timestamp) -> its event timestamp in ms.
  using timestamp_assigner = std::function<int64_t(const T&, int64_t)>;

  /// Timestamps never decrease within a subtask.
  static watermark_strategy for_monotonous_timestamps() {
    return for_bounded_out_of_orderness(std::chrono::milliseconds(0));
  }

  /// Records arrive at most `bound` out of order.
  static watermark_strategy for_bounded_out_of_orderness(std::chrono::milliseconds bound) {
    auto ms = static_cast<int64_t>(bound.count());
    return watermark_strategy(
      [ms] { return std::make_unique<bounded_out_of_orderness_generator<T>>(ms); });
  }

  /// A custom generator, made once per subtask.
  static watermark_strategy for_generator(generator_factory make) {
    return watermark_strategy(std::move(make));
  }

  /// Takes each record's timestamp from fn(const T&) -> int64_t (ms). Without
  /// an assigner the records keep the timestamps they carry.
  template <class F>
  watermark_strategy with_timestamp_assigner(F fn) const {
    static_assert(std::is_invocable_r_v<int64_t, F&, const T&>,
                  "weir: a timestamp assigner is fn(const T&) -> int64_t milliseconds");
    watermark_strategy copy = *this;
    copy.assigner_ = [fn](const T& value, int64_t) mutable { return static_cast<int64_t>(fn(value)); };
    return copy;
  }

  /// The factory the runtime calls once per subtask.
  const generator_factory& generator() const noexcept { return make_; }
  /// The timestamp assigner; empty when records keep their timestamps.
  const timestamp_assigner& assigner() const noexcept { return assigner_; }

private:
  explicit watermark_strategy(generator_factory make) : make_(std::move(make)) {}

  generator_factory make_;
  timestamp_assigner assigner_;
};

} // namespace weir
