#pragma once

// A keyed process function: per-key user state and event-time timers.

#include <set>
#include <unordered_map>
#include <vector>

#include "weir/detail/keyed_state.hpp"
#include "weir/detail/parts.hpp"
#include "weir/detail/ttl_queue.hpp"
#include "weir/state_ttl.hpp"

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
  /// The key of the record or timer being processed.
  const K& key() const noexcept { return *key_; }
  /// The timestamp of the record (or of the timer) being processed.
  int64_t timestamp() const noexcept { return timestamp_; }
  /// The operator's event time: the watermark it has reached.
  int64_t current_watermark() const noexcept { return *watermark_; }
  /// Calls the timer function for this key once the watermark reaches `time`.
  /// Registering the same time twice for a key fires once.
  void register_event_time_timer(int64_t time) { timers_->insert({time, *key_}); }
  /// Forgets this key's event-time timer at `time`, if any.
  void delete_event_time_timer(int64_t time) { timers_->erase({time, *key_}); }
  /// The clock's time (see runtime_options::clock).
  int64_t current_processing_time() const { return clock_->now_ms(); }
  /// Calls the timer function for this key once processing time reaches
  /// `time`. Processing-time timers not yet due at end of input are dropped.
  void register_processing_time_timer(int64_t time) { processing_timers_->insert({time, *key_}); }
  /// Forgets this key's processing-time timer at `time`, if any.
  void delete_processing_time_timer(int64_t time) { processing_timers_->erase({time, *key_}); }
  /// In a timer function: whether a processing-time timer (not an event-time one) fired.
  bool processing_time_timer() const noexcept { return processing_; }
  /// Drops this key's state once the current call returns.
  void clear_state() noexcept { clear_ = true; }
  /// Writes `value` to the side output `tag`, with the timestamp of the
  /// record or timer being processed; stream.side_output(tag) reads it
  /// (without a reader it is dropped). Throws std::logic_error when the side
  /// output is read as another type.
  template <class U>
  void output(const output_tag<U>& tag, const U& value) {
    if (auto* c = sides_->template find<U>(tag.name)) c->collect(value, timestamp_);
  }

private:
  template <class, class, class>
  friend class detail::keyed_runtime;
  keyed_context(std::set<std::pair<int64_t, K>>* timers,
                std::set<std::pair<int64_t, K>>* processing_timers, const int64_t* wm,
                const weir::clock* clock, const detail::side_outputs* sides)
    : timers_(timers), processing_timers_(processing_timers), watermark_(wm), clock_(clock), sides_(sides) {}

  const K* key_ = nullptr;
  int64_t timestamp_ = INT64_MIN;
  std::set<std::pair<int64_t, K>>* timers_;
  std::set<std::pair<int64_t, K>>* processing_timers_;
  const int64_t* watermark_;
  const weir::clock* clock_;
  const detail::side_outputs* sides_;
  bool clear_ = false;
  bool processing_ = false;
};

namespace detail {

/// Per-key state and event-time timers of one keyed operator subtask, shared
/// by keyed process and co-process functions. Not thread-safe.
template <class K, class State, class R>
class keyed_runtime {
public:
  keyed_runtime(const subtask_info& info, collector<R>* down, side_outputs sides = {},
                std::optional<state_ttl> ttl = std::nullopt)
    : info_(info), out_(down), sides_(std::move(sides)),
      ctx_(&timers_, &processing_timers_, &watermark_, info.clock, &sides_), groups_(info.key_groups.size()),
      ttl_(ttl) {}

  /// Calls f(State&, keyed_context<K>&, emitter<R>&) for `key` at time `ts`.
  /// A record creates the key's state; a timer for a key without state (it
  /// was cleared) runs with an empty State that is not kept, so cleanup
  /// timers never bring cleared keys back.
  template <class F>
  void with_key(const K& key, int64_t ts, F&& f, bool from_timer = false) {
    auto& group = group_of(key);
    auto it = group.find(key);
    // Invisible at once; under event time a record also judges by its own
    // timestamp, so a key's in-order records expire it alike whatever the
    // watermark's pace (batches, another input lagging).
    if (it != group.end() && expired(it->second.touched, from_timer ? INT64_MIN : ts)) {
      group.erase(it);
      it = group.end();
    }
    if (it == group.end() && from_timer) {
      State scratch{};
      call(key, ts, scratch, f);
      return;
    }
    bool fresh = it == group.end();
    if (fresh) it = group.emplace(key, entry{}).first;
    if (ttl_ && (!from_timer || ttl_->renew_on == state_ttl::renew::on_record_and_timer)) {
      it->second.touched = touch_time(ts, it->second.touched);
      if (fresh) expiry_.push(it->second.queued = it->second.touched, key);
    }
    call(key, ts, it->second.state, f);
    if (ctx_.clear_) group.erase(key);
    if (ttl_ && !from_timer) clean_up(ttl_->cleanup_per_record);
  }

  /// Calls fn(value, State&, ctx, out) for the key `key_fn` gives `value`.
  template <class KeyFn, class V, class F>
  void on_record(KeyFn& key_fn, const V& value, int64_t ts, F& fn) {
    K key = key_of<K>(info_, key_fn, value);
    with_key(key, ts, [&](State& s, keyed_context<K>& c, emitter<R>& o) { fn(value, s, c, o); });
  }

  /// Advances event time, calling on_timer(time, State&, ctx, out) for due
  /// timers while pause() says go on; nothing when it paused with timers due.
  template <class G, class Pause>
  watermark_result advance(int64_t watermark, G& on_timer, Pause&& pause) {
    watermark_ = std::max(watermark_, watermark);
    if (!fire_due(timers_, watermark_, false, on_timer, pause)) return std::nullopt;
    return watermark_;
  }

  int64_t next_processing_timer() const {
    return processing_timers_.empty() ? INT64_MAX : processing_timers_.begin()->first;
  }

  /// Fires due processing-time timers; false when it paused with timers due.
  template <class G, class Pause>
  bool processing_time(int64_t now, G& on_timer, Pause&& pause) {
    return fire_due(processing_timers_, now, true, on_timer, pause);
  }

  /// Writes each key's State (its declared fields) and its timers, per key group.
  void snapshot(operator_snapshot& out) {
    out.operator_state = encode_operator_state({watermark_, 0, {}});
    // Timers are kept per subtask, ordered by time: sort them into key groups once.
    std::vector<entry_table> timers(info_.key_groups.size());
    auto add_timers = [&](const std::set<std::pair<int64_t, K>>& set, bool processing) {
      for (const auto& [time, key] : set)
        timers[key_group_index(info_, key)].add([&](byte_writer& w) {
          codec<int64_t>::encode(time, w);
          codec<K>::encode(key, w);
          codec<bool>::encode(processing, w);
        });
    };
    add_timers(timers_, false);
    add_timers(processing_timers_, true);
    if (ttl_) drop_expired(); // expired keys are not written
    snapshot_key_groups(info_, schema(), out,
      [&](uint32_t i, entry_table& t) {
        for (const auto& [key, e] : groups_[i])
          t.add([&](byte_writer& w) {
            codec<K>::encode(key, w);
            state_traits<State>::encode(e.state, w);
            if (ttl_) codec<int64_t>::encode(e.touched, w);
          });
      },
      [&](uint32_t i, entry_table& t) { t = std::move(timers[i]); });
  }

  void restore(const operator_snapshot& in) {
    if (auto st = restored_operator_state(info_, in)) watermark_ = st->watermark;
    // A State may gain fields between versions of a job: older state evolves
    // (so does state taken before a TTL was set: its keys' last access is
    // unknown, and counts from the restore).
    auto defaults = state_traits<State>::default_fields();
    if (ttl_) {
      byte_writer w(defaults);
      codec<int64_t>::encode(INT64_MIN, w);
    }
    int64_t restored_at = ttl_ ? touch_time(watermark_, INT64_MIN) : 0;
    restore_key_groups(info_, schema(), in,
      [&](uint32_t i, byte_reader& r) {
        K key = codec<K>::decode(r);
        auto& e = groups_[i][key];
        state_traits<State>::decode(e.state, r);
        if (!ttl_) return;
        e.touched = codec<int64_t>::decode(r);
        if (e.touched == INT64_MIN) e.touched = restored_at;
        expiry_.push(e.queued = e.touched, std::move(key));
      },
      [&](byte_reader& r) {
        auto time = codec<int64_t>::decode(r);
        K key = codec<K>::decode(r);
        (codec<bool>::decode(r) ? processing_timers_ : timers_).insert({time, std::move(key)});
      },
      defaults, state_traits<State>::declared || ttl_.has_value());
  }

  /// Each key's State fields, then (with a TTL) its last access.
  state_schema schema() const {
    auto fields = state_traits<State>::schema();
    if (ttl_) fields.emplace_back(ttl_field, "int64");
    return {"keyed_process", type_name_of<K>(), std::move(fields), "tuple<int64," + type_name_of<K>() + ",bool>"};
  }

  /// Keys with state (expired ones not yet removed included).
  size_t keys() const {
    size_t n = 0;
    for (const auto& g : groups_) n += g.size();
    return n;
  }

private:
  template <class F>
  void call(const K& key, int64_t ts, State& state, F& f) {
    ctx_.key_ = &key;
    ctx_.timestamp_ = ts;
    ctx_.clear_ = false;
    out_.set_timestamp(ts);
    guarded(info_, [&] { f(state, ctx_, out_); });
    ctx_.key_ = nullptr;
  }

  template <class G, class Pause>
  bool fire_due(std::set<std::pair<int64_t, K>>& timers, int64_t now, bool processing, G& on_timer,
                Pause& pause) {
    while (!timers.empty() && timers.begin()->first <= now) {
      if (pause()) return false;
      auto [time, key] = *timers.begin();
      timers.erase(timers.begin());
      ctx_.processing_ = processing;
      with_key(key, time, [&](State& s, keyed_context<K>& c, emitter<R>& o) { on_timer(time, s, c, o); },
               true);
      ctx_.processing_ = false;
    }
    return true;
  }

  /// A key's State and, with a TTL, when it was last accessed.
  struct entry {
    State state{};
    int64_t touched = INT64_MIN; // the last access
    int64_t queued = INT64_MIN;  // the time of its entry in the expiry queue
  };
  static constexpr const char* ttl_field = "ttl_last_access_ms";

  key_map<K, entry>& group_of(const K& key) {
    return key_group_state(groups_, info_, key);
  }

  // The time an access at event time `ts` counts as.
  int64_t touch_time(int64_t ts, int64_t before) const {
    if (ttl_->clock == state_ttl::time::processing) return info_.clock->now_ms();
    return std::max(before, ts);
  }

  // Whether state last accessed at `touched` has expired by now: processing
  // time, or the watermark (or `event_ts`, a record's time, if later).
  bool expired(int64_t touched, int64_t event_ts = INT64_MIN) const {
    if (!ttl_ || touched == INT64_MIN) return false;
    int64_t now = ttl_->clock == state_ttl::time::processing ? info_.clock->now_ms() : std::max(watermark_, event_ts);
    return saturating_add(touched, ttl_->ttl.count()) <= now;
  }

  // Removes up to `budget` expired keys, oldest access first (each key has
  // one live entry in the queue; one accessed since is queued again at its
  // new time; an entry of a key removed and created again is stale).
  void clean_up(size_t budget) {
    expiry_.sweep(budget, [&](int64_t queued, const K& key) {
      auto& group = group_of(key);
      auto it = group.find(key);
      if (it == group.end() || it->second.queued != queued) return ttl_queue_verdict::gone;
      if (it->second.touched != queued) return ttl_queue_verdict::requeue_at(it->second.queued = it->second.touched);
      if (!expired(queued)) return ttl_queue_verdict::keep;
      group.erase(it);
      return ttl_queue_verdict::gone;
    });
  }

  // Every expired key, at a checkpoint: the queue's order is only nearly
  // that of the last access (timestamps of event time come in any order).
  void drop_expired() {
    std::vector<K> expired_keys;
    for (auto& group : groups_) {
      expired_keys.clear();
      for (const auto& [key, e] : group)
        if (expired(e.touched)) expired_keys.push_back(key);
      for (const auto& key : expired_keys) group.erase(key);
    }
  }

  const subtask_info& info_;
  emitter<R> out_;
  std::set<std::pair<int64_t, K>> timers_;
  std::set<std::pair<int64_t, K>> processing_timers_;
  int64_t watermark_ = INT64_MIN;
  side_outputs sides_; // before ctx_, which points to it
  keyed_context<K> ctx_;
  std::vector<key_map<K, entry>> groups_;
  std::optional<state_ttl> ttl_;
  ttl_queue<K> expiry_;
};

/// A rolling reduce's keyed state when it runs as a process function (under a TTL).
template <class T>
struct rolling_reduce_state {
  value_state<T> value;
  void fields(state_fields& f) { f("value", value); }
};

/// A rolling reduce as a keyed process function: folds each record into the
/// key's value and emits the new value (the first record as is).
template <class T, class K, class F>
struct rolling_reduce : holds_function<F> {
  void operator()(const T& v, rolling_reduce_state<T>& s, keyed_context<K>&, emitter<T>& out) {
    T next = s.value.has_value() ? this->fn(s.value.value(), v) : v;
    s.value.update(next);
    out.emit(next);
  }
};

template <class T, class K, class KeyFn, class State, class R, class F, class G>
class keyed_process_part final : public input_part<T> {
public:
  keyed_process_part(subtask_info info, KeyFn key_fn, F fn, G on_timer, collector<R>* down,
                     side_outputs sides = {}, std::optional<state_ttl> ttl = std::nullopt)
    : input_part<T>(std::move(info)), key_fn_(std::move(key_fn)), fn_(std::move(fn)),
      on_timer_(std::move(on_timer)), keyed_(this->info_, down, std::move(sides), ttl) {
    this->manage(fn_);
    this->manage(on_timer_);
  }
  // It points into itself (timer_call_, the runtime's context): not copied or moved.
  keyed_process_part(const keyed_process_part&) = delete;
  keyed_process_part& operator=(const keyed_process_part&) = delete;

  void collect(const T& value, int64_t ts) override { keyed_.on_record(key_fn_, value, ts, fn_); }

  watermark_result on_watermark(int64_t watermark) override {
    return keyed_.advance(watermark, timer_function(), [this] { return this->should_pause(); });
  }
  int64_t next_processing_timer() const override { return keyed_.next_processing_timer(); }
  bool on_processing_time(int64_t now) override {
    return keyed_.processing_time(now, timer_function(), [this] { return this->should_pause(); });
  }
  bool stateful() const override { return true; }
  void snapshot(operator_snapshot& out) override { keyed_.snapshot(out); }
  void restore(const operator_snapshot& in) override { keyed_.restore(in); }
  /// Keys holding state now (tests watch a TTL keep it bounded).
  size_t keys() const { return keyed_.keys(); }

private:
  // fn_.on_timer through a callable, when G says fn_ handles timers.
  struct timer_call {
    F* fn;
    void operator()(int64_t time, State& s, keyed_context<K>& ctx, emitter<R>& out) { fn->on_timer(time, s, ctx, out); }
  };
  auto& timer_function() {
    if constexpr (std::is_same_v<G, timers_in_fn>) return timer_call_;
    else return on_timer_;
  }

  KeyFn key_fn_;
  F fn_;
  G on_timer_;
  timer_call timer_call_{&fn_};
  keyed_runtime<K, State, R> keyed_;
};

} // namespace detail
} // namespace weir
