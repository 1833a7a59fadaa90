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
    update_flags();
    // End of input: every result goes on before event time ends.
    if (watermark == INT64_MAX && !queue_.empty()) {
      this->set_waiting(true);
      return std::nullopt;
    }
    return released_;
  }

  int64_t next_processing_timer() const override {
    if (!restored_.empty() && queue_.size() < options_.capacity) return INT64_MIN; // issue them now
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

  // Stored: the event time passed on; the inputs of the requests not
  // passed on yet, in the order they were issued; and where among them the
  // watermarks not passed on yet came (so after a restore they hold back
  // the same results).
  void snapshot(operator_snapshot& out) override {
    std::vector<std::pair<int64_t, T>> inputs;
    for (const auto& r : queue_) inputs.emplace_back(r.timestamp, r.input);
    uint64_t first = queue_.empty() ? next_seq_ : queue_.front().seq;
    inputs.insert(inputs.end(), restored_.begin(), restored_.end());
    std::vector<std::pair<uint64_t, int64_t>> held;
    for (const auto& [seq, wm] : held_) held.emplace_back(seq - std::min(seq, first), wm);
    std::string data;
    byte_writer w(data);
    codec<std::vector<std::pair<int64_t, T>>>::encode(inputs, w);
    codec<std::vector<std::pair<uint64_t, int64_t>>>::encode(held, w);
    out.operator_state = encode_operator_state({released_, 0, std::move(data)});
  }

  // At another parallelism, subtask i issues again the requests of the old
  // subtasks it continues (old % parallelism == i), from the least of
  // their watermarks (their held watermarks are left to upstream to send
  // again); at the same one, its own, with its held watermarks.
  void restore(const operator_snapshot& in) override {
    if (!in.rescaled.empty()) {
      int64_t least = INT64_MAX;
      for (auto& [old, st] : rescaled_operator_states(this->info_, in)) {
        least = std::min(least, st.watermark);
        if (old % this->info_.parallelism == this->info_.index) take_restored(st, old, false);
      }
      released_ = highest_ = least == INT64_MAX ? INT64_MIN : least;
      return;
    }
    if (auto st = restored_operator_state(this->info_, in)) {
      released_ = highest_ = st->watermark;
      take_restored(*st, this->info_.index, true);
    }
  }

private:
  void take_restored(const operator_state& st, uint32_t old, bool with_held) {
    byte_reader r(st.data);
    auto inputs = codec<std::vector<std::pair<int64_t, T>>>::decode(r);
    auto held = codec<std::vector<std::pair<uint64_t, int64_t>>>::decode(r);
    if (!r.ok() || !r.at_end())
      throw state_error(errc::corrupt_state, this->info_.name() + " async requests of subtask "
                                               + std::to_string(old) + " do not decode as their input type");
    // Restored requests are issued first, in order, from seq 0 on.
    if (with_held)
      for (const auto& [index, wm] : held) {
        held_.emplace_back(restored_.size() + index, wm);
        highest_ = std::max(highest_, wm);
      }
    restored_.insert(restored_.end(), inputs.begin(), inputs.end());
    update_flags();
  }

  // Issues restored requests as room allows, once the function has been
  // opened (at the first call after start); no new input is taken before
  // they all are.
  void reissue_restored() {
    if (restored_.empty()) return; // every call but the first few after a restore
    size_t n = 0;
    while (n < restored_.size() && queue_.size() < options_.capacity) {
      issue(restored_[n].second, restored_[n].first);
      ++n;
    }
    restored_.erase(restored_.begin(), restored_.begin() + static_cast<std::ptrdiff_t>(n));
    update_flags();
  }

  void update_flags() {
    this->set_input_full(!restored_.empty() || queue_.size() >= options_.capacity);
    this->set_owes_output(!restored_.empty() || !queue_.empty());
    this->set_holding_watermark(!held_.empty());
  }

  void issue(const T& value, int64_t ts) {
    auto future = guarded(this->info_, [&] { return fn_(value); });
    if (!future.valid())
      throw operator_failure(this->info_, "the async function returned a future without a state");
    int64_t deadline = saturating_add(this->info_.clock->now_ms(), options_.timeout.count());
    queue_.push_back({next_seq_++, value, ts, deadline, std::move(future), std::nullopt});
    update_flags();
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
    reissue_restored(); // room freed: restored requests go first
    update_flags();
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
