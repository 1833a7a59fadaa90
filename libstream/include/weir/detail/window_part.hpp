#pragma once

// The window operator: keyed window state per key group, event-time timers,
// allowed lateness and the late-data side output.

#include <algorithm>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "weir/detail/parts.hpp"
#include "weir/window_trigger.hpp"
#include "weir/windows.hpp"

namespace weir::detail {

/// Windows of one operator subtask. `Policy` says what a window keeps and emits:
///   using acc_type, out_type;
///   acc_type create(const T& first);  void add(acc_type&, const T&);
///   void merge(acc_type& into, acc_type&& from);
///   void emit(const K&, const time_window&, const acc_type&, emitter<out_type>&);
/// Detects a window policy whose function takes a process_context (it
/// needs binding to the subtask's side outputs and the firing's times).
template <class P, class = void>
struct has_context : std::false_type {};
template <class P>
struct has_context<P, std::void_t<decltype(std::declval<P&>().at(int64_t{}, int64_t{}))>> : std::true_type {};

/// How a window operator fires: its allowed lateness, its early firings
/// (0: none), its trigger, and the output tag of its late records (empty:
/// late_data() only).
template <class T>
struct window_config {
  int64_t lateness = 0;
  int64_t early_every = 0;
  window_trigger<T> trigger = window_trigger<T>::at_window_end();
  std::string late_tag;
};

template <class T, class K, class KeyFn, class Policy>
class window_part final : public input_part<T> {
public:
  using acc_type = typename Policy::acc_type;
  using out_type = typename Policy::out_type;

  window_part(subtask_info info, KeyFn key_fn, Policy policy, window_assigner assigner, window_config<T> config,
              collector<out_type>* down, collector<T>* late, side_outputs sides = {})
    : input_part<T>(std::move(info)), key_fn_(std::move(key_fn)), policy_(std::move(policy)),
      assigner_(assigner), lateness_(config.lateness), early_every_(config.early_every),
      trigger_(std::move(config.trigger)), out_(down), late_(late),
      late_tagged_(config.late_tag.empty() ? nullptr : sides.template find<T>(config.late_tag)),
      groups_(this->info_.key_groups.size()) {
    if constexpr (has_context<Policy>::value) policy_.bind(this->info_, std::move(sides));
    if (early_every_ > 0) next_early_ = this->info_.clock->now_ms() + early_every_;
    policy_.manage_functions([this](auto& fn) { this->manage(fn); });
  }

  void collect(const T& value, int64_t ts) override {
    if (assigner_.processing_time()) ts = this->info_.clock->now_ms();
    if (ts == INT64_MIN)
      throw operator_failure(this->info_, "a record without event time reached a window: "
                                          "assign timestamps and watermarks upstream");
    K key = key_of<K>(this->info_, key_fn_, value);
    assigned_.clear();
    assigner_.assign(ts, assigned_);
    // A record late for all its windows touches no state (sessions can only
    // tell after looking at the key's windows).
    if (!assigner_.merging()
        && std::all_of(assigned_.begin(), assigned_.end(), [&](const auto& w) { return is_late(w); })) {
      late_record(value, ts);
      return;
    }
    auto& windows = state_of(key);
    bool kept = false;
    for (auto w : assigned_) {
      if (assigner_.merging()) {
        kept = merge_into(key, windows, w, value) || kept;
      } else if (!is_late(w)) {
        kept = true;
        add_to(key, windows, w, value);
      }
    }
    if (!kept) late_record(value, ts);
    if (windows.empty()) forget(key);
  }

  watermark_result on_watermark(int64_t watermark) override {
    // Processing-time windows ignore event time, except its end: end of input
    // fires them all, so no record is dropped.
    if (assigner_.processing_time() && watermark != INT64_MAX) return watermark;
    if (!advance(watermark)) return std::nullopt;
    return watermark;
  }

  int64_t next_processing_timer() const override {
    if (early_every_ > 0) return early_.empty() ? next_early_ : INT64_MIN;
    if (!assigner_.processing_time() || timers_.empty()) return INT64_MAX;
    return timers_.begin()->first;
  }

  bool on_processing_time(int64_t now) override {
    if (early_every_ > 0) return fire_early(now);
    return !assigner_.processing_time() || advance(now);
  }

  uint64_t late_records() const override { return late_count_; }

  // Stored per key: its windows with their accumulators (and, under a
  // trigger other than the default, the records each got since it last
  // fired). Timers are not stored: every window still kept either waits to
  // fire at its end (ahead of the operator's time) or waits for cleanup, so
  // restore() derives them, and a restore fires each window exactly once.
  bool stateful() const override { return true; }

  void snapshot(operator_snapshot& out) override {
    out.operator_state = encode_operator_state({watermark_, late_count_, {}});
    snapshot_key_groups(this->info_, schema(), out,
      [&](uint32_t i, entry_table& t) {
        for (const auto& [key, windows] : groups_[i])
          t.add([&](byte_writer& w) {
            codec<K>::encode(key, w);
            w.put_varint(windows.size());
            for (const auto& [window, slot] : windows) encode_window(window, slot, w);
          });
      },
      [](uint32_t, entry_table&) {});
  }

  void restore(const operator_snapshot& in) override {
    restore_event_time(this->info_, in, watermark_, late_count_);
    restore_key_groups(this->info_, schema(), in,
      [&](uint32_t i, byte_reader& r) {
        K key = codec<K>::decode(r);
        auto n = r.get_varint();
        auto& windows = groups_[i][key];
        for (uint64_t k = 0; k < n && r.ok(); ++k) {
          time_window w;
          w.start = codec<int64_t>::decode(r);
          w.end = codec<int64_t>::decode(r);
          auto& s = windows[w];
          decode_slot(w, s, r);
          if (fire_time(w) > watermark_) {
            timers_.emplace(fire_time(w), timer{key, w, timer_kind::fire});
            if (s.since > 0) schedule_period(key, w);
          } else {
            timers_.emplace(cleanup_time(w), timer{key, w, timer_kind::cleanup});
          }
        }
      },
      [](byte_reader&) {});
  }

private:
  // Under the default trigger the stored format is the one from before
  // triggers (a window's count since it fired follows from the watermark),
  // so older checkpoints restore; other triggers store the count, and the
  // accumulator of a window purged since it fired is absent.
  state_schema schema() const {
    auto acc = type_name_of<acc_type>();
    if (trigger_.is_default()) return {"window", type_name_of<K>(), {{"windows", "list<tuple<int64,int64," + acc + ">>"}}, ""};
    return {"window", type_name_of<K>(), {{"windows", "list<tuple<int64,int64,value<" + acc + ">,uint64>>"}}, ""};
  }

  struct slot {
    std::optional<acc_type> acc; // empty: purged since it last fired
    uint64_t since = 0;          // records added since it last fired
  };
  using window_map = std::map<time_window, slot>;

  void encode_window(const time_window& window, const slot& s, byte_writer& w) const {
    codec<int64_t>::encode(window.start, w);
    codec<int64_t>::encode(window.end, w);
    if (trigger_.is_default()) {
      codec<acc_type>::encode(*s.acc, w);
      return;
    }
    w.put_varint(s.acc ? 1 : 0);
    if (s.acc) codec<acc_type>::encode(*s.acc, w);
    codec<uint64_t>::encode(s.since, w);
  }

  void decode_slot(const time_window& w, slot& s, byte_reader& r) const {
    if (trigger_.is_default()) {
      s.acc = codec<acc_type>::decode(r);
      s.since = fire_time(w) > watermark_ ? 1 : 0; // not fired yet; once fired, late records fire at once
      return;
    }
    decode_optional<acc_type>(r, [&](acc_type acc) { s.acc.emplace(std::move(acc)); }); // a flag > 1 fails the reader
    s.since = codec<uint64_t>::decode(r);
  }

  enum class timer_kind : uint8_t {
    fire,    // time passed the window's end
    cleanup, // time passed its end plus the lateness: drop its state
    period,  // time passed one of its periods (event_time_every)
  };
  struct timer {
    K key;
    time_window window;
    timer_kind what = timer_kind::fire;
  };

  // Moves this operator's notion of time (event or processing) to `time` and
  // fires the timers due by then, one window at a time; false when it paused
  // with due timers left (called again with the same time, it goes on).
  bool advance(int64_t time) {
    watermark_ = std::max(watermark_, time);
    while (!timers_.empty() && timers_.begin()->first <= watermark_) {
      if (this->should_pause()) return false;
      auto node = timers_.extract(timers_.begin());
      on_timer(node.key(), node.mapped());
    }
    return true;
  }

  // On processing time nothing is late (a record's time is the clock's), and
  // a window fires once the clock reaches its end; on event time, once the
  // watermark reaches its last millisecond.
  bool is_late(const time_window& w) const {
    if (assigner_.processing_time()) return false;
    return saturating_add(w.max_timestamp(), lateness_) <= watermark_;
  }

  int64_t fire_time(const time_window& w) const {
    return assigner_.processing_time() ? w.end : w.max_timestamp();
  }

  int64_t cleanup_time(const time_window& w) const {
    return assigner_.processing_time() ? w.end : saturating_add(w.max_timestamp(), lateness_);
  }

  window_map& state_of(const K& key) { return key_group_state(groups_, this->info_, key)[key]; }

  void forget(const K& key) { key_group_state(groups_, this->info_, key).erase(key); }

  void add_to(const K& key, window_map& windows, const time_window& w, const T& value) {
    auto it = windows.find(w);
    if (it == windows.end()) {
      slot s; // made before it enters the map: a throwing create leaves no empty window
      s.acc.emplace(guarded(this->info_, [&] { return policy_.create(value); }));
      s.since = 1;
      created(key, w, windows.emplace(w, std::move(s)).first->second, value);
      return;
    }
    auto& s = it->second;
    if (s.acc)
      guarded(this->info_, [&] { policy_.add(*s.acc, value); });
    else
      s.acc.emplace(guarded(this->info_, [&] { return policy_.create(value); }));
    if (++s.since == 1) schedule_period(key, w);
    if (fires_on(w, s, value)) fire(key, w, s);
  }

  // Sessions: the record's window absorbs every window it touches. Lateness
  // is judged on the merged window (Flink): a record that touches an open
  // session joins it. Returns false for a late record.
  bool merge_into(const K& key, window_map& windows, time_window w, const T& value) {
    time_window merged = w;
    const time_window* only = nullptr; // the one window it falls into unchanged, if so
    size_t touched = 0;
    for (auto& [existing, s] : windows) {
      if (!existing.intersects(w)) continue;
      merged = merged.cover(existing);
      only = &existing;
      ++touched;
    }
    if (is_late(merged)) return false;
    if (touched == 1 && *only == merged) { // inside one session: its timers stay valid
      add_to(key, windows, merged, value);
      return true;
    }
    slot joined;
    joined.acc.emplace(guarded(this->info_, [&] { return policy_.create(value); }));
    joined.since = 1;
    for (auto it = windows.begin(); it != windows.end();) {
      if (!it->first.intersects(w)) {
        ++it;
        continue;
      }
      if (it->second.acc) guarded(this->info_, [&] { policy_.merge(*joined.acc, std::move(*it->second.acc)); });
      joined.since += it->second.since;
      it = windows.erase(it); // its timers go stale and are skipped when due
    }
    created(key, merged, windows.emplace(merged, std::move(joined)).first->second, value);
    return true;
  }

  // A new (or newly merged) window: fire at its end, or, if time passed
  // that, drop it after the lateness; fire now if the trigger says so.
  void created(const K& key, const time_window& w, slot& s, const T& value) {
    if (fire_time(w) > watermark_) {
      timers_.emplace(fire_time(w), timer{key, w, timer_kind::fire});
      schedule_period(key, w);
    } else {
      timers_.emplace(cleanup_time(w), timer{key, w, timer_kind::cleanup});
    }
    if (fires_on(w, s, value)) fire(key, w, s);
  }

  // Whether the window fires right after `value` was added: on the count,
  // the predicate, or, past its end (within the lateness), for a trigger
  // that fires at the end.
  bool fires_on(const time_window& w, const slot& s, const T& value) const {
    using kind = typename window_trigger<T>::kind;
    if (trigger_.what() == kind::count && s.since >= trigger_.records()) return true;
    if (trigger_.what() == kind::predicate && guarded(this->info_, [&] { return trigger_.holds(value); })) return true;
    return trigger_.fires_at_end() && fire_time(w) <= watermark_;
  }

  // event_time_every: a timer at the end of the period holding the
  // operator's next millisecond (or the window's start), before its end.
  void schedule_period(const K& key, const time_window& w) {
    if (trigger_.what() != window_trigger<T>::kind::event_time_every) return;
    int64_t p = trigger_.period_ms();
    int64_t from = std::max(saturating_add(watermark_, 1), w.start);
    int64_t at = saturating_add(window_start(from, 0, p), p - 1);
    if (at < fire_time(w)) timers_.emplace(at, timer{key, w, timer_kind::period});
  }

  void on_timer(int64_t time, const timer& t) {
    auto& windows = state_of(t.key);
    auto it = windows.find(t.window);
    if (it == windows.end()) { // merged away or already cleaned up
      if (windows.empty()) forget(t.key);
      return;
    }
    auto& s = it->second;
    bool fires = t.what == timer_kind::period || (t.what == timer_kind::fire && trigger_.fires_at_end());
    if (fires && s.since > 0) fire(t.key, t.window, s);
    if (t.what == timer_kind::period) return;
    if (t.what == timer_kind::cleanup || cleanup_time(t.window) <= time) {
      windows.erase(it);
      if (windows.empty()) forget(t.key);
    } else {
      timers_.emplace(cleanup_time(t.window), timer{t.key, t.window, timer_kind::cleanup});
    }
  }

  // A firing: the result goes out, the count restarts, a purging trigger
  // empties the window (it stays, for its timers and a session's extent).
  void fire(const K& key, const time_window& w, slot& s) {
    if (s.acc) emit(key, w, *s.acc);
    s.since = 0;
    if (trigger_.purges()) s.acc.reset();
  }

  void emit(const K& key, const time_window& w, const acc_type& acc) {
    out_.set_timestamp(w.max_timestamp());
    if constexpr (has_context<Policy>::value) policy_.at(w.max_timestamp(), watermark_);
    guarded(this->info_, [&] { policy_.emit(key, w, acc, out_); });
  }

  // Every early_every_ of processing time: the windows not fired yet, in a
  // queue emitted one at a time under credit (a window gone meanwhile is
  // skipped). An early result is not a firing. False when it paused with
  // windows left.
  bool fire_early(int64_t now) {
    if (early_.empty() && now >= next_early_) {
      for (const auto& group : groups_)
        for (const auto& [key, windows] : group)
          for (const auto& [w, s] : windows)
            if (fire_time(w) > watermark_) early_.emplace_back(key, w);
      next_early_ = now + early_every_;
    }
    while (!early_.empty()) {
      if (this->should_pause()) return false;
      auto [key, w] = std::move(early_.front());
      early_.pop_front();
      auto& windows = state_of(key);
      auto it = windows.find(w);
      if (it != windows.end() && fire_time(w) > watermark_ && it->second.acc) emit(key, w, *it->second.acc);
      if (windows.empty()) forget(key);
    }
    return true;
  }

  void late_record(const T& value, int64_t ts) {
    ++late_count_;
    if (late_ != nullptr) late_->collect(value, ts);
    if (late_tagged_ != nullptr) late_tagged_->collect(value, ts);
  }

  KeyFn key_fn_;
  Policy policy_;
  window_assigner assigner_;
  int64_t lateness_;
  int64_t early_every_;                                 // 0: no early firings
  window_trigger<T> trigger_;
  int64_t next_early_ = INT64_MAX;                      // processing time of the next ones
  std::deque<std::pair<K, time_window>> early_;         // due early firings not emitted yet
  emitter<out_type> out_;
  collector<T>* late_;
  collector<T>* late_tagged_; // the late-data tag's side output, if read
  std::vector<key_map<K, window_map>> groups_;
  std::multimap<int64_t, timer> timers_;
  std::vector<time_window> assigned_;
  int64_t watermark_ = INT64_MIN;
  uint64_t late_count_ = 0;
};

// -- policies -------------------------------------------------------------------

template <class T, class F>
struct reduce_policy {
  F fn;
  using acc_type = T;
  using out_type = T;
  template <class M>
  void manage_functions(M manage) { manage(fn); }
  T create(const T& first) { return first; }
  void add(T& acc, const T& value) { acc = fn(acc, value); }
  void merge(T& into, T&& from) { into = fn(into, from); }
  template <class K>
  void emit(const K&, const time_window&, const T& acc, emitter<T>& out) {
    out.emit(acc);
  }
};

template <class T, class Agg>
struct aggregate_policy {
  Agg agg;
  using acc_type = std::decay_t<decltype(std::declval<Agg&>().create_accumulator())>;
  using out_type = std::decay_t<decltype(std::declval<Agg&>().get_result(std::declval<const acc_type&>()))>;
  template <class M>
  void manage_functions(M manage) { manage(agg); }
  acc_type create(const T& first) { return agg.add(first, agg.create_accumulator()); }
  void add(acc_type& acc, const T& value) { acc = agg.add(value, std::move(acc)); }
  void merge(acc_type& into, acc_type&& from) { into = agg.merge(std::move(into), std::move(from)); }
  template <class K>
  void emit(const K&, const time_window&, const acc_type& acc, emitter<out_type>& out) {
    out.emit(agg.get_result(acc));
  }
};

/// Incremental aggregation whose result a window function sees with the key
/// and window: wf(const K&, const time_window&, const OUT&, emitter<R>&).
template <class T, class Agg, class R, class WF>
struct aggregate_window_policy {
  aggregate_policy<T, Agg> inner;
  WF wf;
  using acc_type = typename aggregate_policy<T, Agg>::acc_type;
  using out_type = R;
  template <class M>
  void manage_functions(M manage) {
    inner.manage_functions(manage);
    manage(wf);
  }
  acc_type create(const T& first) { return inner.create(first); }
  void add(acc_type& acc, const T& value) { inner.add(acc, value); }
  void merge(acc_type& into, acc_type&& from) { inner.merge(into, std::move(from)); }
  template <class K>
  void emit(const K& key, const time_window& w, const acc_type& acc, emitter<R>& out) {
    wf(key, w, inner.agg.get_result(acc), out);
  }
};

template <class T, class R, class F>
struct process_policy {
  F fn;
  size_t keep_last = 0; // > 0: a count evictor, keeping the window's last records
  using acc_type = std::vector<T>;
  using out_type = R;
  template <class M>
  void manage_functions(M manage) { manage(fn); }
  acc_type create(const T& first) { return {first}; }
  void add(acc_type& acc, const T& value) {
    acc.push_back(value);
    evict(acc);
  }
  void merge(acc_type& into, acc_type&& from) {
    into.insert(into.end(), std::make_move_iterator(from.begin()), std::make_move_iterator(from.end()));
    evict(into);
  }
  // As each record arrives, so a window holds at most keep_last records.
  void evict(acc_type& acc) const {
    if (keep_last > 0 && acc.size() > keep_last) acc.erase(acc.begin(), acc.end() - static_cast<std::ptrdiff_t>(keep_last));
  }
  template <class K>
  void emit(const K& key, const time_window& w, const acc_type& acc, emitter<R>& out) {
    fn(key, w, acc, out);
  }
};

/// As process_policy, the function also getting a process_context (the
/// window's last millisecond as its timestamp, the watermark, side outputs):
/// fn(key, window, records, ctx, out).
template <class T, class R, class F>
struct process_context_policy : process_policy<T, R, F> {
  std::optional<process_context> ctx;
  void bind(const subtask_info& info, side_outputs sides) {
    ctx.emplace(process_context_access::make(info.clock, std::move(sides)));
  }
  void at(int64_t timestamp, int64_t watermark) {
    process_context_access::set_timestamp(*ctx, timestamp);
    process_context_access::advance_watermark(*ctx, watermark);
  }
  template <class K>
  void emit(const K& key, const time_window& w, const std::vector<T>& acc, emitter<R>& out) {
    this->fn(key, w, acc, *ctx, out);
  }
};

} // namespace weir::detail
