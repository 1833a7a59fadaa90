#pragma once

// A keyed process function: per-key user state and event-time timers.

#include <set>
#include <unordered_map>
#include <vector>

#include "weir/detail/parts.hpp"

namespace weir {

namespace detail {
template <class K, class State, class R>
class keyed_runtime;
} // namespace detail

/// What a keyed process function sees besides the record: its key, event
/// time, and timers. Valid only during the call that received it.
template <class K>
class keyed_context {
public:
  const K& key() const noexcept { return *key_; }
  /// The timestamp of the record (or of the timer) being processed.
  int64_t timestamp() const noexcept { return timestamp_; }
  int64_t current_watermark() const noexcept { return *watermark_; }
  /// Calls the timer function for this key once the watermark reaches `time`.
  /// Registering the same time twice for a key fires once.
  void register_event_time_timer(int64_t time) { timers_->insert({time, *key_}); }
  void delete_event_time_timer(int64_t time) { timers_->erase({time, *key_}); }
  /// Drops this key's state once the current call returns.
  void clear_state() noexcept { clear_ = true; }

private:
  template <class, class, class>
  friend class detail::keyed_runtime;
  keyed_context(std::set<std::pair<int64_t, K>>* timers, const int64_t* wm)
    : timers_(timers), watermark_(wm) {}

  const K* key_ = nullptr;
  int64_t timestamp_ = INT64_MIN;
  std::set<std::pair<int64_t, K>>* timers_;
  const int64_t* watermark_;
  bool clear_ = false;
};

namespace detail {

/// Per-key state and event-time timers of one keyed operator subtask, shared
/// by keyed process and co-process functions. Not thread-safe.
template <class K, class State, class R>
class keyed_runtime {
public:
  keyed_runtime(const subtask_info& info, collector<R>* down)
    : info_(info), out_(down), ctx_(&timers_, &watermark_), groups_(info.key_groups.size()) {}

  /// Calls f(State&, keyed_context<K>&, emitter<R>&) for `key` at time `ts`.
  template <class F>
  void with_key(const K& key, int64_t ts, F&& f) {
    auto& group = group_of(key);
    auto& state = group[key];
    ctx_.key_ = &key;
    ctx_.timestamp_ = ts;
    ctx_.clear_ = false;
    out_.set_timestamp(ts);
    guarded(info_, [&] { f(state, ctx_, out_); });
    if (ctx_.clear_) group.erase(key);
    ctx_.key_ = nullptr;
  }

  /// Advances event time, calling on_timer(time, State&, ctx, out) for due timers.
  template <class G>
  int64_t advance(int64_t watermark, G& on_timer) {
    if (watermark <= watermark_) return watermark_;
    watermark_ = watermark;
    while (!timers_.empty() && timers_.begin()->first <= watermark_) {
      auto [time, key] = *timers_.begin();
      timers_.erase(timers_.begin());
      with_key(key, time, [&](State& s, keyed_context<K>& c, emitter<R>& o) { on_timer(time, s, c, o); });
    }
    return watermark_;
  }

private:
  std::unordered_map<K, State>& group_of(const K& key) {
    uint32_t kg = key_group_for_hash(key_hash(key), info_.max_parallelism);
    if (!info_.key_groups.contains(kg))
      throw operator_failure(info_, "received a key of key group " + std::to_string(kg)
                                      + " it does not own (partitioning bug)");
    return groups_[kg - info_.key_groups.first];
  }

  const subtask_info& info_;
  emitter<R> out_;
  std::set<std::pair<int64_t, K>> timers_;
  int64_t watermark_ = INT64_MIN;
  keyed_context<K> ctx_;
  std::vector<std::unordered_map<K, State>> groups_;
};

template <class T, class K, class KeyFn, class State, class R, class F, class G>
class keyed_process_part final : public input_part<T> {
public:
  keyed_process_part(subtask_info info, KeyFn key_fn, F fn, G on_timer, collector<R>* down)
    : input_part<T>(std::move(info)), key_fn_(std::move(key_fn)), fn_(std::move(fn)),
      on_timer_(std::move(on_timer)), keyed_(this->info_, down) {}

  void collect(const T& value, int64_t ts) override {
    K key = guarded(this->info_, [&]() -> K { return key_fn_(value); });
    keyed_.with_key(key, ts, [&](State& s, keyed_context<K>& c, emitter<R>& o) { fn_(value, s, c, o); });
  }

  int64_t on_watermark(int64_t watermark) override { return keyed_.advance(watermark, on_timer_); }

private:
  KeyFn key_fn_;
  F fn_;
  G on_timer_;
  keyed_runtime<K, State, R> keyed_;
};

} // namespace detail
} // namespace weir
