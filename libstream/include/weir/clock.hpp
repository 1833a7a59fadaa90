#pragma once

/// \file Processing time: the clock processing-time windows and timers read.
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
  virtual int64_t now_ms() const = 0;
};

/// The system's wall clock (the default).
class system_clock final : public clock {
public:
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
  explicit manual_clock(int64_t start_ms = 0) : now_(start_ms) {}
  int64_t now_ms() const override { return now_.load(std::memory_order_acquire); }
  void set(int64_t ms) { now_.store(ms, std::memory_order_release); }
  void advance(int64_t ms) { now_.fetch_add(ms, std::memory_order_acq_rel); }

private:
  std::atomic<int64_t> now_;
};

} // namespace weir
