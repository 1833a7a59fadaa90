#pragma once

#include <chrono>
#include <cstdint>

#include <stdexcept>

#include "weir/functions.hpp"
#include "weir/strided_lanes.hpp"

namespace weir::test {

/// Emits records fn(0) .. fn(count - 1), split round robin over its subtasks
/// (subtask i makes i, i + p, ...: weir::strided_lanes, so it can change its
/// parallelism on a restore), at most `per_ms` per millisecond of wall time
/// since it opened, so a job lasts long enough for checkpoints and faults to
/// land in it. Idle while ahead of its pace. Its position is its next index
/// (per lane): a restore rewinds it there (and keeps pacing from there).
template <class T, class F>
class paced_source final : public strided_source_function<T> {
public:
  paced_source(uint64_t count, double per_ms, F fn) : count_(count), per_ms_(per_ms), fn_(std::move(fn)) {}

  void open(const subtask_info& info) override {
    strided_source_function<T>::open(info);
    started_ = std::chrono::steady_clock::now();
  }

  source_status poll(emitter<T>& out, size_t max_records) override {
    auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started_).count();
    auto allowed = static_cast<uint64_t>(ms * per_ms_) + 1;
    size_t budget = emitted_ >= allowed ? 0 : static_cast<size_t>(std::min<uint64_t>(max_records, allowed - emitted_));
    size_t n = 0;
    bool more = this->lanes_.emit(count_, budget, [&](uint64_t i) {
      out.emit(fn_(i));
      ++n;
    });
    emitted_ += n;
    if (!more) return source_status::exhausted;
    return n == 0 ? source_status::idle : source_status::more;
  }

private:
  uint64_t count_;
  double per_ms_;
  F fn_;
  uint64_t emitted_ = 0; // since open
  std::chrono::steady_clock::time_point started_;
};

/// A source factory for paced_source.
template <class F>
auto paced(uint64_t count, double per_ms, F fn) {
  using T = std::decay_t<std::invoke_result_t<F&, uint64_t>>;
  return [count, per_ms, fn] { return std::make_unique<paced_source<T, F>>(count, per_ms, fn); };
}

} // namespace weir::test
