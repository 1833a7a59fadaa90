#pragma once

/// \file
/// Processing time: the clock processing-time windows and timers read.
/// Injectable, so tests control time instead of sleeping.

#include <atomic>
#include <chrono>
#include <cstdint>

namespace weir {

/// A source of processing time in milliseconds since the epoch.
/// Implementations must be thread-safe: every task of a job reads it.
class clock {
public:
  virtual ~clock() = default;
  /// The current time, ms since the epoch.
  virtual int64_t now_ms() const = 0;
};

/// The system's wall clock (the default).
class system_clock final : public clock {
public:
  /// std::chrono::system_clock's time, ms since the epoch.
  int64_t now_ms() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
  }
  /// One shared instance.
  static const system_clock& instance() {
    static const system_clock c;
    return c;
  }
};

/// A clock that moves only when told to: for tests.
class manual_clock final : public clock {
public:
  /// Starts at `start_ms`, ms since the epoch.
  explicit manual_clock(int64_t start_ms = 0) : now_(start_ms) {}
  /// The time last set or advanced to.
  int64_t now_ms() const override { return now_.load(std::memory_order_acquire); }
  /// Sets the time to `ms` (ms since the epoch). Thread-safe.
  void set(int64_t ms) { now_.store(ms, std::memory_order_release); }
  /// Moves the time on by `ms` milliseconds. Thread-safe.
  void advance(int64_t ms) { now_.fetch_add(ms, std::memory_order_acq_rel); }

private:
  std::atomic<int64_t> now_;
};

} // namespace weir
