#pragma once

// Two-input operators: a keyed co-process function, a windowed join and an
// interval join. Each receives its inputs through two adapter collectors, so
// the two record types may be the same.

#include <algorithm>
#include <map>

#include "weir/detail/keyed_process_part.hpp"
#include "weir/detail/window_part.hpp"

namespace weir::detail {

/// Base of two-input parts: one adapter collector per input, so the two
/// record types may be the same.
template <class A, class B>
class two_input_part : public part {
public:
  explicit two_input_part(subtask_info info) : info_(std::move(info)) {
    a_.owner = this;
    b_.owner = this;
  }
  erased_collector input() override { return erased_collector::of<A>(&a_); }
  erased_collector input2() override { return erased_collector::of<B>(&b_); }
  virtual void on_a(const A& value, int64_t ts) = 0;
  virtual void on_b(const B& value, int64_t ts) = 0;

protected:
  /// The key group map for `key` out of per-key-group `state`, checked.
  template <class Map, class K>
  Map& group_of(std::vector<Map>& state, const K& key) {
    return key_group_state(state, info_, key);
  }

  subtask_info info_;

private:
  struct a_input final : collector<A> {
    two_input_part* owner = nullptr;
    void collect(const A& value, int64_t ts) override { owner->on_a(value, ts); }
  } a_;
  struct b_input final : collector<B> {
    two_input_part* owner = nullptr;
    void collect(const B& value, int64_t ts) override { owner->on_b(value, ts); }
  } b_;
};

/// Two streams without keys (Flink's CoFlatMap): f1 for the first input's
/// records, f2 for the second's, each emitting any number of R with the
/// input record's timestamp. No state.
template <class A, class B, class R, class F1, class F2>
class co_flat_map_part final : public two_input_part<A, B> {
public:
  co_flat_map_part(subtask_info info, F1 f1, F2 f2, collector<R>* down)
    : two_input_part<A, B>(std::move(info)), f1_(std::move(f1)), f2_(std::move(f2)), out_(down) {
    this->manage(f1_);
    this->manage(f2_);
  }
  void on_a(const A& value, int64_t ts) override {
    out_.set_timestamp(ts);
    guarded(this->info_, [&] { f1_(value, out_); });
  }
  void on_b(const B& value, int64_t ts) override {
    out_.set_timestamp(ts);
    guarded(this->info_, [&] { f2_(value, out_); });
  }

private:
  F1 f1_;
  F2 f2_;
  emitter<R> out_;
};

template <class A, class B, class K, class KA, class KB, class State, class R, class F1, class F2, class G>
class co_process_part final : public two_input_part<A, B> {
  using base = two_input_part<A, B>;

public:
  co_process_part(subtask_info info, KA ka, KB kb, F1 f1, F2 f2, G on_timer, collector<R>* down,
                  side_outputs sides = {}, std::optional<state_ttl> ttl = std::nullopt)
    : base(std::move(info)), ka_(std::move(ka)), kb_(std::move(kb)), f1_(std::move(f1)),
      f2_(std::move(f2)), on_timer_(std::move(on_timer)), keyed_(this->info_, down, std::move(sides), ttl) {
    this->manage(f1_);
    this->manage(f2_);
    this->manage(on_timer_);
  }

  void on_a(const A& value, int64_t ts) override { keyed_.on_record(ka_, value, ts, f1_); }
  void on_b(const B& value, int64_t ts) override { keyed_.on_record(kb_, value, ts, f2_); }
  watermark_result on_watermark(int64_t watermark) override {
    return keyed_.advance(watermark, on_timer_, [this] { return this->should_pause(); });
  }
  int64_t next_processing_timer() const override { return keyed_.next_processing_timer(); }
  bool on_processing_time(int64_t now) override {
    return keyed_.processing_time(now, on_timer_, [this] { return this->should_pause(); });
  }
  bool stateful() const override { return true; }
  void snapshot(operator_snapshot& out) override { keyed_.snapshot(out); }
  void restore(const operator_snapshot& in) override { keyed_.restore(in); }

private:
  KA ka_;
  KB kb_;
  F1 f1_;
  F2 f2_;
  G on_timer_;
  keyed_runtime<K, State, R> keyed_;
};

/// Joins records of both inputs with equal keys in the same window: when the
/// window fires, fn(a, b) for every pair. Late records are counted and dropped.
template <class A, class B, class K, class KA, class KB, class R, class F>
class window_join_part final : public two_input_part<A, B> {
  using base = two_input_part<A, B>;
  struct sides {
    std::vector<A> as;
    std::vector<B> bs;
  };
  using windows = std::map<time_window, sides>;

public:
  window_join_part(subtask_info info, KA ka, KB kb, window_assigner assigner, F fn, collector<R>* down)
    : base(std::move(info)), ka_(std::move(ka)), kb_(std::move(kb)), assigner_(assigner),
      fn_(std::move(fn)), down_(down), state_(this->info_.key_groups.size()) {
    this->manage(fn_);
  }

  void on_a(const A& value, int64_t ts) override {
    add(key_of<K>(this->info_, ka_, value), ts,
        [&](sides& s) { s.as.push_back(value); });
  }
  void on_b(const B& value, int64_t ts) override {
    add(key_of<K>(this->info_, kb_, value), ts,
        [&](sides& s) { s.bs.push_back(value); });
  }

  watermark_result on_watermark(int64_t watermark) override {
    watermark_ = std::max(watermark_, watermark);
    while (!timers_.empty() && timers_.begin()->first <= watermark_) {
      if (this->should_pause()) return std::nullopt;
      auto node = timers_.extract(timers_.begin());
      fire(node.mapped().first, node.mapped().second);
    }
    return watermark_;
  }

  uint64_t late_records() const override { return late_; }

  // Stored per key: its open windows with both sides' records. Every stored
  // window is still to fire (fired ones are dropped), so restore() derives
  // the timers.
  bool stateful() const override { return true; }

  void snapshot(operator_snapshot& out) override {
    out.operator_state = encode_operator_state({watermark_, late_, {}});
    snapshot_key_groups(this->info_, schema(), out,
      [&](uint32_t i, entry_table& t) {
        for (const auto& [key, ws] : state_[i])
          t.add([&](byte_writer& w) {
            codec<K>::encode(key, w);
            w.put_varint(ws.size());
            for (const auto& [window, s] : ws) {
              codec<int64_t>::encode(window.start, w);
              codec<int64_t>::encode(window.end, w);
              codec<std::vector<A>>::encode(s.as, w);
              codec<std::vector<B>>::encode(s.bs, w);
            }
          });
      },
      [](uint32_t, entry_table&) {});
  }

  void restore(const operator_snapshot& in) override {
    restore_event_time(this->info_, in, watermark_, late_);
    restore_key_groups(this->info_, schema(), in,
      [&](uint32_t i, byte_reader& r) {
        K key = codec<K>::decode(r);
        auto n = r.get_varint();
        auto& ws = state_[i][key];
        for (uint64_t k = 0; k < n && r.ok(); ++k) {
          time_window w;
          w.start = codec<int64_t>::decode(r);
          w.end = codec<int64_t>::decode(r);
          auto& s = ws[w];
          s.as = codec<std::vector<A>>::decode(r);
          s.bs = codec<std::vector<B>>::decode(r);
          timers_.emplace(w.max_timestamp(), std::make_pair(key, w));
        }
      },
      [](byte_reader&) {});
  }

private:
  static state_schema schema() {
    return {"window_join", type_name_of<K>(),
            {{"windows", "list<tuple<int64,int64,list<" + type_name_of<A>() + ">,list<" + type_name_of<B>() + ">>>"}},
            ""};
  }

  template <class Add>
  void add(const K& key, int64_t ts, Add&& add_to) {
    if (ts == INT64_MIN)
      throw operator_failure(this->info_, "a record without event time reached a window join");
    assigned_.clear();
    assigner_.assign(ts, assigned_);
    auto open = [&](const time_window& w) { return w.max_timestamp() > watermark_; };
    if (std::none_of(assigned_.begin(), assigned_.end(), open)) {
      ++late_; // late for every window: no state is touched for it
      return;
    }
    auto& ws = this->group_of(state_, key)[key];
    for (const auto& w : assigned_) {
      if (!open(w)) continue;
      auto [it, fresh] = ws.try_emplace(w);
      if (fresh) timers_.emplace(w.max_timestamp(), std::make_pair(key, w));
      add_to(it->second);
    }
  }

  void fire(const K& key, const time_window& w) {
    auto& group = this->group_of(state_, key);
    auto& ws = group[key];
    auto it = ws.find(w);
    for (const auto& a : it->second.as)
      for (const auto& b : it->second.bs)
        down_->collect(guarded(this->info_, [&]() -> R { return fn_(a, b); }), w.max_timestamp());
    ws.erase(it);
    if (ws.empty()) group.erase(key);
  }

  KA ka_;
  KB kb_;
  window_assigner assigner_;
  F fn_;
  collector<R>* down_;
  std::vector<key_map<K, windows>> state_;
  std::multimap<int64_t, std::pair<K, time_window>> timers_;
  std::vector<time_window> assigned_;
  int64_t watermark_ = INT64_MIN;
  uint64_t late_ = 0;
};

/// Joins a and b with equal keys where b's timestamp lies in
/// [a's + lower, a's + upper]: fn(const A&, const B&, emitter<R>&), emitted
/// with the later of the two timestamps. Each side is buffered until no
/// future record of the other side can match it; late records are dropped.
template <class A, class B, class K, class KA, class KB, class R, class F>
class interval_join_part final : public two_input_part<A, B> {
  using base = two_input_part<A, B>;
  struct buffers {
    std::multimap<int64_t, A> as;
    std::multimap<int64_t, B> bs;
  };
  using group = key_map<K, buffers>;

public:
  interval_join_part(subtask_info info, KA ka, KB kb, int64_t lower, int64_t upper, F fn,
                     collector<R>* down)
    : base(std::move(info)), ka_(std::move(ka)), kb_(std::move(kb)), lower_(lower), upper_(upper),
      fn_(std::move(fn)), out_(down), state_(this->info_.key_groups.size()) {
    this->manage(fn_);
  }

  void on_a(const A& a, int64_t ta) override {
    if (late(ta)) return;
    K key = key_of<K>(this->info_, ka_, a);
    auto& buf = this->group_of(state_, key)[key];
    auto from = buf.bs.lower_bound(saturating_add(ta, lower_));
    auto to = buf.bs.upper_bound(saturating_add(ta, upper_));
    for (auto it = from; it != to; ++it) emit(a, ta, it->second, it->first);
    buf.as.emplace(ta, a);
    expiry_.emplace(saturating_add(ta, upper_), std::make_pair(key, true));
  }

  void on_b(const B& b, int64_t tb) override {
    if (late(tb)) return;
    K key = key_of<K>(this->info_, kb_, b);
    auto& buf = this->group_of(state_, key)[key];
    auto from = buf.as.lower_bound(saturating_add(tb, -upper_));
    auto to = buf.as.upper_bound(saturating_add(tb, -lower_));
    for (auto it = from; it != to; ++it) emit(it->second, it->first, b, tb);
    buf.bs.emplace(tb, b);
    expiry_.emplace(saturating_add(tb, -lower_), std::make_pair(key, false));
  }

  watermark_result on_watermark(int64_t watermark) override {
    if (watermark <= watermark_) return watermark_;
    watermark_ = watermark;
    // An a with ta + upper < watermark, or a b with tb - lower < watermark, can
    // match nothing that is still to come (later records are not late).
    while (!expiry_.empty() && expiry_.begin()->first < watermark_) {
      auto [key, is_a] = expiry_.begin()->second;
      expiry_.erase(expiry_.begin());
      auto& g = this->group_of(state_, key);
      auto it = g.find(key);
      if (it == g.end()) continue;
      if (is_a) erase_expired(it->second.as, upper_);
      else erase_expired(it->second.bs, -lower_);
      if (it->second.as.empty() && it->second.bs.empty()) g.erase(it);
    }
    return watermark_;
  }

  uint64_t late_records() const override { return late_; }

  // Stored per key: both sides' buffered records with their timestamps; the
  // expiry of each is derived on restore.
  bool stateful() const override { return true; }

  void snapshot(operator_snapshot& out) override {
    out.operator_state = encode_operator_state({watermark_, late_, {}});
    snapshot_key_groups(this->info_, schema(), out,
      [&](uint32_t i, entry_table& t) {
        for (const auto& [key, buf] : state_[i])
          t.add([&](byte_writer& w) {
            codec<K>::encode(key, w);
            write_side(buf.as, w);
            write_side(buf.bs, w);
          });
      },
      [](uint32_t, entry_table&) {});
  }

  void restore(const operator_snapshot& in) override {
    restore_event_time(this->info_, in, watermark_, late_);
    restore_key_groups(this->info_, schema(), in,
      [&](uint32_t i, byte_reader& r) {
        K key = codec<K>::decode(r);
        auto& buf = state_[i][key];
        read_side(buf.as, r, [&](int64_t ta) { expiry_.emplace(saturating_add(ta, upper_), std::make_pair(key, true)); });
        read_side(buf.bs, r, [&](int64_t tb) { expiry_.emplace(saturating_add(tb, -lower_), std::make_pair(key, false)); });
      },
      [](byte_reader&) {});
  }

private:
  static state_schema schema() {
    return {"interval_join", type_name_of<K>(),
            {{"left", "list<pair<int64," + type_name_of<A>() + ">>"},
             {"right", "list<pair<int64," + type_name_of<B>() + ">>"}},
            ""};
  }

  template <class V>
  static void write_side(const std::multimap<int64_t, V>& side, byte_writer& w) {
    w.put_varint(side.size());
    for (const auto& [ts, v] : side) {
      codec<int64_t>::encode(ts, w);
      codec<V>::encode(v, w);
    }
  }

  template <class V, class Expire>
  static void read_side(std::multimap<int64_t, V>& side, byte_reader& r, Expire&& expire) {
    auto n = r.get_varint();
    for (uint64_t k = 0; k < n && r.ok(); ++k) {
      auto ts = codec<int64_t>::decode(r);
      side.emplace(ts, codec<V>::decode(r));
      expire(ts);
    }
  }

  bool late(int64_t ts) {
    if (ts == INT64_MIN)
      throw operator_failure(this->info_, "a record without event time reached an interval join");
    if (ts >= watermark_ || watermark_ == INT64_MIN) return false;
    ++late_;
    return true;
  }

  template <class Buffer>
  void erase_expired(Buffer& buf, int64_t reach) {
    while (!buf.empty() && saturating_add(buf.begin()->first, reach) < watermark_) buf.erase(buf.begin());
  }

  void emit(const A& a, int64_t ta, const B& b, int64_t tb) {
    out_.set_timestamp(std::max(ta, tb));
    guarded(this->info_, [&] { fn_(a, b, out_); });
  }

  KA ka_;
  KB kb_;
  int64_t lower_;
  int64_t upper_;
  F fn_;
  emitter<R> out_;
  std::vector<group> state_;
  std::multimap<int64_t, std::pair<K, bool>> expiry_;
  int64_t watermark_ = INT64_MIN;
  uint64_t late_ = 0;
};

} // namespace weir::detail
