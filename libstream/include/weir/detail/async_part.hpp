#pragma once

// Async I/O: a user function starts a request per record and returns a
// std::future of its result; the part keeps up to `capacity` in flight and
// passes results on in input order or as they complete, never across a
// watermark. Requests not passed on are in the snapshot (their inputs) and
// issued again after a restore.

#include <algorithm>
#include <chrono>
#include <deque>
#include <future>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "weir/async.hpp"
#include "weir/detail/keyed_state.hpp"
#include "weir/detail/parts.hpp"
#include "weir/detail/window_part.hpp"

namespace weir::detail {

/// The default on_timeout: the job fails.
struct async_timeout_fails {};

/// Detects std::future<R> (async_map's function must return one).
template <class F>
struct is_future : std::false_type {};
template <class R>
struct is_future<std::future<R>> : std::true_type {
  using value_type = R;
};

template <class T, class R, class F, class OnTimeout>
class async_part final : public input_part<T> {
  struct request {
    uint64_t seq;
    T input;
    int64_t timestamp;
    int64_t deadline;
    std::future<R> future;
    std::optional<R> result;
  };

public:
  async_part(subtask_info info, F fn, OnTimeout on_timeout, async_options options, collector<R>* down)
    : input_part<T>(std::move(info)), fn_(std::move(fn)), on_timeout_(std::move(on_timeout)), options_(options),
      down_(down) {
    this->manage(fn_);
    if constexpr (!std::is_same_v<OnTimeout, async_timeout_fails>) this->manage(on_timeout_);
  }

  void collect(const T& value, int64_t ts) override {
    reissue_restored();
    issue(value, ts);
  }

  // A watermark goes on once every request issued before it has; results
  // of requests issued after it wait for it (drain never crosses it).
  watermark_result on_watermark(int64_t watermark) override {
    reissue_restored();
    if (watermark > highest_) {
      highest_ = watermark;
      held_.emplace_back(next_seq_, watermark);
    }
    this->set_waiting(false);
    if (!drain()) return std::nullopt;
    release();
    this->set_holding_watermark(!held_.empty());
    // End of input: every result goes on before event time ends.
    if (watermark == INT64_MAX && !queue_.empty()) {
      this->set_waiting(true);
      return std::nullopt;
    }
    return released_;
  }

  int64_t next_processing_timer() const override {
    if (!restored_.empty()) return INT64_MIN;
    if (queue_.empty()) return INT64_MAX;
    int64_t poll = this->info_.clock->now_ms() + options_.poll_interval.count();
    int64_t deadline = INT64_MAX;
    for (const auto& r : queue_)
      if (!r.result) deadline = std::min(deadline, r.deadline);
    return std::min(poll, deadline);
  }

  bool on_processing_time(int64_t) override {
    reissue_restored();
    return drain();
  }

  bool stateful() const override { return true; }

  // Stored: the event time passed on, and the inputs of the requests not
  // passed on yet, in the order they were issued.
  void snapshot(operator_snapshot& out) override {
    std::vector<std::pair<int64_t, T>> inputs;
    for (const auto& r : restored_) inputs.push_back(r);
    for (const auto& r : queue_) inputs.emplace_back(r.timestamp, r.input);
    std::string data;
    byte_writer w(data);
    codec<std::vector<std::pair<int64_t, T>>>::encode(inputs, w);
    out.operator_state = encode_operator_state({released_, 0, std::move(data)});
  }

  // At another parallelism, subtask i issues again the requests of the old
  // subtasks it continues (old % parallelism == i).
  void restore(const operator_snapshot& in) override {
    if (!in.rescaled.empty()) {
      for (auto& [old, st] : rescaled_operator_states(this->info_, in))
        if (old % this->info_.parallelism == this->info_.index) take_restored(st, old);
      return;
    }
    if (auto st = restored_operator_state(this->info_, in)) take_restored(*st, this->info_.index);
  }

private:
  void take_restored(const operator_state& st, uint32_t old) {
    released_ = std::max(released_, st.watermark);
    highest_ = std::max(highest_, st.watermark);
    byte_reader r(st.data);
    auto inputs = codec<std::vector<std::pair<int64_t, T>>>::decode(r);
    if (!r.ok() || !r.at_end())
      throw state_error(errc::corrupt_state, this->info_.name() + " async requests of subtask "
                                               + std::to_string(old) + " do not decode as their input type");
    restored_.insert(restored_.end(), inputs.begin(), inputs.end());
    this->set_input_full(!restored_.empty());
  }

  // Issued at the first call after start, when the function has been opened.
  void reissue_restored() {
    if (restored_.empty()) return;
    auto inputs = std::move(restored_);
    restored_.clear();
    for (const auto& [ts, input] : inputs) issue(input, ts);
  }

  void issue(const T& value, int64_t ts) {
    auto future = guarded(this->info_, [&] { return fn_(value); });
    if (!future.valid())
      throw operator_failure(this->info_, "the async function returned a future without a state");
    int64_t deadline = saturating_add(this->info_.clock->now_ms(), options_.timeout.count());
    queue_.push_back({next_seq_++, value, ts, deadline, std::move(future), std::nullopt});
    this->set_input_full(queue_.size() >= options_.capacity);
  }

  // Collects what completed or timed out and passes on what may go before
  // the first watermark held, one result per unit; false when it paused.
  bool drain() {
    int64_t now = this->info_.clock->now_ms();
    for (auto& r : queue_)
      if (!r.result) settle(r, now);
    uint64_t segment_end = held_.empty() ? UINT64_MAX : held_.front().first;
    for (auto it = queue_.begin(); it != queue_.end() && it->seq < segment_end;) {
      if (!it->result) {
        if (options_.ordered) break; // the oldest goes first
        ++it;
        continue;
      }
      if (this->should_pause()) return false;
      emit(*it);
      it = queue_.erase(it);
    }
    this->set_input_full(queue_.size() >= options_.capacity);
    return true;
  }

  // Lets go of the watermarks whose earlier requests have all gone on.
  void release() {
    while (!held_.empty() && (queue_.empty() || queue_.front().seq >= held_.front().first)) {
      released_ = std::max(released_, held_.front().second);
      held_.pop_front();
    }
  }

  void settle(request& r, int64_t now) {
    if (r.future.wait_for(std::chrono::seconds(0)) == std::future_status::ready) {
      r.result.emplace(guarded(this->info_, [&] { return r.future.get(); }));
      return;
    }
    if (now < r.deadline) return;
    if constexpr (std::is_same_v<OnTimeout, async_timeout_fails>) {
      throw operator_failure(this->info_, "an async request timed out after "
                                            + std::to_string(options_.timeout.count()) + " ms");
    } else {
      r.result.emplace(guarded(this->info_, [&] { return on_timeout_(r.input); }));
    }
  }

  void emit(request& r) { down_->collect(*r.result, r.timestamp); }

  F fn_;
  OnTimeout on_timeout_;
  async_options options_;
  collector<R>* down_;
  std::deque<request> queue_; // issued, not passed on; by seq
  std::vector<std::pair<int64_t, T>> restored_; // to issue again: (timestamp, input)
  std::deque<std::pair<uint64_t, int64_t>> held_; // watermarks not passed on: (first seq after it, watermark)
  uint64_t next_seq_ = 0;
  int64_t highest_ = INT64_MIN;  // the highest watermark given
  int64_t released_ = INT64_MIN; // the watermark passed on
};

} // namespace weir::detail
