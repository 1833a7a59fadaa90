#pragma once

#include <chrono>
#include <cstdint>

#include "weir/functions.hpp"

namespace weir::test {

/// Emits records fn(0) .. fn(count - 1), split round robin over its subtasks
/// (subtask i makes i, i + p, ...), at most `per_ms` per millisecond of wall
/// time since it opened, so a job lasts long enough for checkpoints and
/// faults to land in it. Idle while ahead of its pace. Its position is its
/// next index: a restore rewinds it there (and keeps pacing from there).
template <class T, class F>
class paced_source final : public source_function<T> {
public:
  paced_source(uint64_t count, double per_ms, F fn) : count_(count), per_ms_(per_ms), fn_(std::move(fn)) {}

  void open(const subtask_info& info) override {
    step_ = info.parallelism;
    if (!restored_) next_ = info.index;
    first_ = next_;
    started_ = std::chrono::steady_clock::now();
  }

  source_status poll(emitter<T>& out, size_t max_records) override {
    auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started_).count();
    auto allowed = first_ + static_cast<uint64_t>(ms * per_ms_) * step_;
    size_t n = 0;
    for (; n < max_records && next_ < count_ && next_ <= allowed; ++n, next_ += step_) out.emit(fn_(next_));
    if (next_ >= count_) return source_status::exhausted;
    return n == 0 ? source_status::idle : source_status::more;
  }

  bool has_position() const override { return true; }
  void write_position(byte_writer& w) const override { codec<uint64_t>::encode(next_, w); }
  void read_position(byte_reader& r) override {
    next_ = codec<uint64_t>::decode(r);
    restored_ = true;
  }

private:
  uint64_t count_;
  double per_ms_;
  F fn_;
  uint64_t next_ = 0;
  uint64_t first_ = 0;
  uint64_t step_ = 1;
  bool restored_ = false;
  std::chrono::steady_clock::time_point started_;
};

/// A source factory for paced_source.
template <class F>
auto paced(uint64_t count, double per_ms, F fn) {
  using T = std::decay_t<std::invoke_result_t<F&, uint64_t>>;
  return [count, per_ms, fn] { return std::make_unique<paced_source<T, F>>(count, per_ms, fn); };
}

} // namespace weir::test
