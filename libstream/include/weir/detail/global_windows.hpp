#pragma once

/// \file
/// Global windows with custom triggers and evictors (Flink's GlobalWindows
/// with a Trigger and an Evictor): keyed_stream::global_window(trigger)
/// [.evictor(e)].process(fn). Part of weir/stream.hpp: include that, not this.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <utility>
#include <vector>

#include "weir/stream.hpp"

namespace weir {

/// When a key's global window fires: on a count of records, on a predicate
/// of a record, or every period of event or processing time; purging (the
/// window empties when it fires, Flink's FIRE_AND_PURGE) or not (it keeps
/// its records, as evicted). A value type.
template <class T>
class global_trigger {
public:
  enum class kind : uint8_t { count, predicate, event_time, processing_time };

  /// Fires with every `n` records since the last firing (CountTrigger).
  static global_trigger count(uint64_t n) {
    if (n == 0) throw std::invalid_argument("weir: a count trigger needs at least 1 record");
    return global_trigger(kind::count, n, 0, {});
  }
  /// Fires after a record for which pred(record) holds (a delta or marker trigger).
  static global_trigger when(std::function<bool(const T&)> pred) {
    if (!pred) throw std::invalid_argument("weir: a predicate trigger needs a predicate");
    return global_trigger(kind::predicate, 0, 0, std::move(pred));
  }
  /// Fires when the watermark passes the end of each period of event time
  /// that brought records (ContinuousEventTimeTrigger); also at end of input.
  static global_trigger event_time_every(std::chrono::milliseconds period) {
    return global_trigger(kind::event_time, 0, positive(period), {});
  }
  /// Fires at the end of each period of processing time that brought
  /// records (ContinuousProcessingTimeTrigger). Not at end of input.
  static global_trigger processing_time_every(std::chrono::milliseconds period) {
    return global_trigger(kind::processing_time, 0, positive(period), {});
  }
  /// The same trigger, emptying the window when it fires (PurgingTrigger).
  global_trigger purging() const {
    global_trigger t = *this;
    t.purge_ = true;
    return t;
  }

  kind what() const noexcept { return kind_; }
  uint64_t records() const noexcept { return count_; }
  int64_t period_ms() const noexcept { return period_; }
  bool purges() const noexcept { return purge_; }
  bool holds(const T& v) const { return pred_(v); }

private:
  global_trigger(kind k, uint64_t n, int64_t period, std::function<bool(const T&)> pred)
    : kind_(k), count_(n), period_(period), pred_(std::move(pred)) {}
  static int64_t positive(std::chrono::milliseconds p) {
    if (p.count() <= 0) throw std::invalid_argument("weir: a periodic trigger needs a positive period");
    return p.count();
  }
  kind kind_;
  uint64_t count_;
  int64_t period_;
  std::function<bool(const T&)> pred_;
  bool purge_ = false;
};

/// Which records a global window keeps (Flink's Evictor, applied as each
/// record arrives, which keeps the window bounded): the last `n`, or those
/// within `span` of event time of its latest record. A value type.
struct global_evictor {
  uint64_t keep_last = 0;  ///< 0: no count bound.
  int64_t keep_within = 0; ///< ms; 0: no time bound.

  /// Keeps the last `n` records (CountEvictor).
  static global_evictor last(uint64_t n) {
    if (n == 0) throw std::invalid_argument("weir: a count evictor keeps at least 1 record");
    return {n, 0};
  }
  /// Keeps the records less than `span` older than the latest (TimeEvictor).
  static global_evictor within(std::chrono::milliseconds span) {
    if (span.count() <= 0) throw std::invalid_argument("weir: a time evictor needs a positive span");
    return {0, span.count()};
  }
};

namespace detail {

/// A global window's keyed state: its records with their timestamps, how
/// many came since it last fired, and its pending periodic timer.
template <class T>
struct global_window_state {
  list_state<std::pair<int64_t, T>> records;
  value_state<uint64_t> since;
  value_state<int64_t> timer;
  void fields(state_fields& f) { f("records", records)("since", since)("timer", timer); }
};

/// A global window's keyed process function: adds each record (as the
/// evictor keeps), fires on the trigger, and on its timers; holds the
/// user's function (with its open/close) once for both.
template <class T, class K, class Out, class F>
struct global_window_function : holds_function<F> {
  using state = global_window_state<T>;
  global_trigger<T> trigger;
  global_evictor evictor;

  void operator()(const T& v, state& s, keyed_context<K>& ctx, emitter<Out>& out) {
    add(s, v, ctx.timestamp());
    uint64_t since = s.since.value_or(0) + 1;
    s.since.update(since);
    using kind = typename global_trigger<T>::kind;
    switch (trigger.what()) {
      case kind::count:
        if (since >= trigger.records()) fire(s, ctx, out);
        break;
      case kind::predicate:
        if (trigger.holds(v)) fire(s, ctx, out);
        break;
      case kind::event_time:
      case kind::processing_time:
        if (!s.timer.has_value()) schedule(s, ctx, trigger.what() == kind::event_time);
        break;
    }
  }

  void on_timer(int64_t, state& s, keyed_context<K>& ctx, emitter<Out>& out) {
    s.timer.clear();
    if (s.since.value_or(0) > 0) fire(s, ctx, out);
  }

private:
  void fire(state& s, keyed_context<K>& ctx, emitter<Out>& out) {
    std::vector<T> records;
    for (const auto& [ts, v] : s.records.get()) records.push_back(v);
    if (!records.empty()) this->fn(ctx.key(), records, out);
    s.since.update(0);
    if (trigger.purges()) s.records.clear();
  }

  // A timer at the end of the period holding now (event or processing time).
  void schedule(state& s, keyed_context<K>& ctx, bool event) {
    int64_t p = trigger.period_ms();
    int64_t now = event ? ctx.timestamp() : ctx.current_processing_time();
    int64_t at = now - (((now % p) + p) % p) + p - 1;
    s.timer.update(at);
    if (event) ctx.register_event_time_timer(at);
    else ctx.register_processing_time_timer(at);
  }

  void add(state& s, const T& v, int64_t ts) const {
    auto records = s.records.get();
    records.emplace_back(ts, v);
    if (evictor.keep_last > 0 && records.size() > evictor.keep_last)
      records.erase(records.begin(), records.end() - static_cast<std::ptrdiff_t>(evictor.keep_last));
    if (evictor.keep_within > 0) {
      int64_t latest = INT64_MIN;
      for (const auto& r : records) latest = std::max(latest, r.first);
      int64_t oldest_kept = saturating_add(latest, -evictor.keep_within);
      records.erase(std::remove_if(records.begin(), records.end(), [&](const auto& r) { return r.first <= oldest_kept; }),
                    records.end());
    }
    s.records.update(std::move(records));
  }
};

} // namespace detail

/// A keyed stream in one global window per key, fired by a trigger.
/// Results depend on each key's arrival order for count and predicate
/// triggers (the same at any parallelism when a key's records come from one
/// source subtask in order). State is keyed (checkpoints, savepoints,
/// `weir state query`).
template <class T, class K, class KeyFn>
class global_windowed_stream {
public:
  /// Made by keyed_stream::global_window.
  global_windowed_stream(keyed_stream<T, K, KeyFn> keyed, global_trigger<T> trigger)
    : keyed_(std::move(keyed)), trigger_(std::move(trigger)) {}

  /// Keeps only what `e` says (see global_evictor).
  global_windowed_stream evictor(global_evictor e) const {
    auto s = *this;
    s.evictor_ = e;
    return s;
  }

  /// fn(const K& key, const std::vector<T>& records, emitter<R>& out) per
  /// firing, with the window's records in arrival order; results carry the
  /// timestamp of the record or timer that fired it. R is deduced from the
  /// emitter, or given: process<R>(fn). A function object with open()/close()
  /// has them called as a process function's are (once per subtask).
  template <class R = void, class F>
  auto process(F fn) {
    using Out = std::conditional_t<std::is_void_v<R>, typename detail::interval_output<F>::type, R>;
    static_assert(!std::is_void_v<Out>, "weir: global_window(..).process expects fn(const K&, const "
                                        "std::vector<T>&, weir::emitter<R>&); name R for a generic lambda");
    using function = detail::global_window_function<T, K, Out, F>;
    return keyed_.template process<Out, typename function::state>(function{{std::move(fn)}, trigger_, evictor_},
                                                                  detail::timers_in_fn{});
  }

private:
  keyed_stream<T, K, KeyFn> keyed_;
  global_trigger<T> trigger_;
  global_evictor evictor_;
};

template <class T, class K, class KeyFn>
global_windowed_stream<T, K, KeyFn> keyed_stream<T, K, KeyFn>::global_window(global_trigger<T> trigger) const {
  return {*this, std::move(trigger)};
}

} // namespace weir
