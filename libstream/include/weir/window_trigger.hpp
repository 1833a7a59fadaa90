#pragma once

/// \file
/// Triggers of time windows (Flink's Trigger on a WindowedStream):
/// `window(assigner).trigger(t)` decides when a window emits its result.

#include <chrono>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <utility>

namespace weir {

/// When a time window fires. The default, at_window_end(), is Flink's
/// EventTimeTrigger (ProcessingTimeTrigger on processing-time windows). The
/// others replace it, as `trigger(...)` does in Flink:
/// - count(n): after every n records of the window (CountTrigger);
/// - when(pred): after a record for which pred holds (a delta or marker trigger);
/// - event_time_every(p): when the watermark passes the end of each period
///   p (aligned to the epoch) inside the window, and at its end
///   (ContinuousEventTimeTrigger).
/// A window fires only if it received records since it last fired, so no
/// result is emitted twice. count and when do not fire at the window's
/// end, as in Flink: what came after their last firing is dropped with the
/// window, unless or_at_window_end() is asked for. Every window's state is
/// dropped once time passes its end plus the allowed lateness. A record
/// within the lateness is added and fires the window again under the
/// triggers that fire at its end. purging() empties a window each time it
/// fires (PurgingTrigger): later results hold only what came after.
///
/// Which records a count or predicate firing holds depends on arrival order
/// (the same at any parallelism when a key's records come from one source
/// subtask in order); purging triggers that also fire at the window's end
/// emit results that together hold each record once. A value type; the
/// factories throw std::invalid_argument for a bad figure.
template <class T>
class window_trigger {
public:
  /// What fires a window.
  enum class kind : uint8_t { at_end, count, predicate, event_time_every };

  /// Fires when time passes the window's end (the default).
  static window_trigger at_window_end() { return window_trigger(kind::at_end, 0, 0, {}); }
  /// Fires with every `n` records since the window last fired.
  static window_trigger count(uint64_t n) {
    if (n == 0) throw std::invalid_argument("weir: a count trigger needs at least 1 record");
    return window_trigger(kind::count, n, 0, {});
  }
  /// Fires after a record for which pred(record) holds.
  static window_trigger when(std::function<bool(const T&)> pred) {
    if (!pred) throw std::invalid_argument("weir: a predicate trigger needs a predicate");
    return window_trigger(kind::predicate, 0, 0, std::move(pred));
  }
  /// Fires as the watermark passes each `period` inside the window, and at its end.
  static window_trigger event_time_every(std::chrono::milliseconds period) {
    if (period.count() <= 0) throw std::invalid_argument("weir: a periodic trigger needs a positive period");
    return window_trigger(kind::event_time_every, 0, period.count(), {});
  }

  /// The same trigger, emptying the window each time it fires.
  window_trigger purging() const {
    window_trigger t = *this;
    t.purge_ = true;
    return t;
  }
  /// The same trigger, also firing when time passes the window's end (and
  /// for each record within the allowed lateness). The others do already.
  window_trigger or_at_window_end() const {
    window_trigger t = *this;
    t.at_end_ = true;
    return t;
  }

  /// What fires the window.
  kind what() const noexcept { return kind_; }
  /// For count: the records per firing.
  uint64_t records() const noexcept { return count_; }
  /// For event_time_every: the period, ms.
  int64_t period_ms() const noexcept { return period_; }
  /// Whether a firing empties the window.
  bool purges() const noexcept { return purge_; }
  /// Whether the window fires when time passes its end.
  bool fires_at_end() const noexcept { return at_end_; }
  /// Whether `v` fires the window on its own (count and time aside).
  bool holds(const T& v) const { return kind_ == kind::predicate && pred_(v); }
  /// Whether this is the default trigger: the window's state needs no
  /// count of its own (checkpoints keep the format they had before triggers).
  bool is_default() const noexcept { return kind_ == kind::at_end && !purge_; }

private:
  window_trigger(kind k, uint64_t n, int64_t period, std::function<bool(const T&)> pred)
    : kind_(k), count_(n), period_(period), pred_(std::move(pred)),
      at_end_(k == kind::at_end || k == kind::event_time_every) {}

  kind kind_;
  uint64_t count_;
  int64_t period_;
  std::function<bool(const T&)> pred_;
  bool at_end_;
  bool purge_ = false;
};

} // namespace weir
