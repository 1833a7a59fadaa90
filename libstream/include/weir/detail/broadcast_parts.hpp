#pragma once

// The broadcast state pattern's operators: a stream of rules reaches every
// subtask and updates a map every subtask holds the same; the other input
// (keyed or not) reads it. The map is checkpointed once per operator (by
// subtask 0) and restored to every subtask, at any parallelism.

#include <map>
#include <string>
#include <utility>

#include "weir/detail/keyed_process_part.hpp"
#include "weir/detail/two_input_parts.hpp"

namespace weir::detail {

/// One operator subtask's broadcast state: the map, and how it is stored.
template <class BK, class BV>
class broadcast_holder {
public:
  explicit broadcast_holder(std::string name) : name_(std::move(name)) {}

  std::map<BK, BV>& map() noexcept { return map_; }
  const std::map<BK, BV>& view() const noexcept { return map_; }

  /// Subtask 0 writes the map: every subtask holds the same one (each has
  /// read the same rules up to an aligned barrier), so one copy is enough.
  void snapshot(const subtask_info& info, operator_snapshot& out) const {
    if (info.index != 0) return;
    struct key_group_state kg; // the struct, not the function of that name
    for (const auto& [key, value] : map_)
      kg.entries.add([&](byte_writer& w) {
        codec<BK>::encode(key, w);
        codec<BV>::encode(value, w);
      });
    out.broadcast_state = encode_key_group(schema(), kg);
  }

  /// Reads the operator's one copy back; a map of other types is
  /// incompatible_state, bytes that do not decode corrupt_state.
  void restore(const subtask_info& info, const operator_snapshot& in) {
    map_.clear();
    if (in.broadcast_state.empty()) return;
    auto what = info.name() + " broadcast state '" + name_ + "'";
    auto kg = decode_key_group(in.broadcast_state, 0, schema(), what);
    if (!kg) throw state_error(kg.error_value());
    kg->entries.for_each(what, [&](byte_reader& r) {
      BK key = codec<BK>::decode(r);
      map_.insert_or_assign(std::move(key), codec<BV>::decode(r));
    });
  }

  state_schema schema() const { return {"broadcast", type_name_of<BK>(), {{name_, type_name_of<BV>()}}, ""}; }

private:
  std::string name_;
  std::map<BK, BV> map_;
};

/// Calls the rule function: fn(const B&, std::map<BK, BV>&, process_context&, emitter<R>&).
template <class B, class R, class BK, class BV>
class rule_runner {
public:
  rule_runner(const subtask_info& info, collector<R>* down, side_outputs sides, std::string name)
    : info_(info), out_(down), ctx_(process_context_access::make(info.clock, std::move(sides))),
      state_(std::move(name)) {}

  template <class F>
  void on_rule(F& fn, const B& rule, int64_t ts) {
    process_context_access::set_timestamp(ctx_, ts);
    out_.set_timestamp(ts);
    guarded(info_, [&] { fn(rule, state_.map(), ctx_, out_); });
  }
  void advance(int64_t watermark) { process_context_access::advance_watermark(ctx_, watermark); }
  broadcast_holder<BK, BV>& state() noexcept { return state_; }
  process_context& context() noexcept { return ctx_; }
  emitter<R>& out() noexcept { return out_; }

private:
  const subtask_info& info_;
  emitter<R> out_;
  process_context ctx_;
  broadcast_holder<BK, BV> state_;
};

/// Keyed events (input a) with broadcast rules (input b):
///   on_event(const A&, State&, const std::map<BK, BV>&, keyed_context<K>&, emitter<R>&)
///   on_rule(const B&, std::map<BK, BV>&, process_context&, emitter<R>&)
///   on_timer(int64_t, State&, const std::map<BK, BV>&, keyed_context<K>&, emitter<R>&)
template <class A, class B, class K, class KA, class BK, class BV, class State, class R, class F1, class F2,
          class G>
class keyed_broadcast_part final : public two_input_part<A, B> {
public:
  keyed_broadcast_part(subtask_info info, KA ka, F1 on_event, F2 on_rule, G on_timer, collector<R>* down,
                       const side_outputs& sides, std::string state_name, std::optional<state_ttl> ttl = std::nullopt)
    : two_input_part<A, B>(std::move(info)), ka_(std::move(ka)), on_event_(std::move(on_event)),
      on_rule_(std::move(on_rule)), on_timer_(std::move(on_timer)), keyed_(this->info_, down, sides, ttl),
      rules_(this->info_, down, sides, std::move(state_name)) {
    this->manage(on_event_);
    this->manage(on_rule_);
    this->manage(on_timer_);
  }

  void on_a(const A& value, int64_t ts) override {
    const auto& map = rules_.state().view();
    auto fn = [&](const A& v, State& s, keyed_context<K>& c, emitter<R>& o) { on_event_(v, s, map, c, o); };
    keyed_.on_record(ka_, value, ts, fn);
  }
  void on_b(const B& rule, int64_t ts) override { rules_.on_rule(on_rule_, rule, ts); }

  watermark_result on_watermark(int64_t watermark) override {
    rules_.advance(watermark);
    auto timer = timer_with_rules();
    return keyed_.advance(watermark, timer, [this] { return this->should_pause(); });
  }
  int64_t next_processing_timer() const override { return keyed_.next_processing_timer(); }
  bool on_processing_time(int64_t now) override {
    auto timer = timer_with_rules();
    return keyed_.processing_time(now, timer, [this] { return this->should_pause(); });
  }
  bool stateful() const override { return true; }
  void snapshot(operator_snapshot& out) override {
    keyed_.snapshot(out);
    rules_.state().snapshot(this->info_, out);
  }
  void restore(const operator_snapshot& in) override {
    keyed_.restore(in);
    if (auto st = restored_operator_state(this->info_, in)) rules_.advance(st->watermark);
    rules_.state().restore(this->info_, in);
  }

private:
  auto timer_with_rules() {
    return [this](int64_t time, State& s, keyed_context<K>& c, emitter<R>& o) {
      on_timer_(time, s, rules_.state().view(), c, o);
    };
  }

  KA ka_;
  F1 on_event_;
  F2 on_rule_;
  G on_timer_;
  keyed_runtime<K, State, R> keyed_;
  rule_runner<B, R, BK, BV> rules_;
};

/// Events without keys (input a) with broadcast rules (input b):
///   on_event(const A&, const std::map<BK, BV>&, process_context&, emitter<R>&)
///   on_rule(const B&, std::map<BK, BV>&, process_context&, emitter<R>&)
template <class A, class B, class BK, class BV, class R, class F1, class F2>
class broadcast_part final : public two_input_part<A, B> {
public:
  broadcast_part(subtask_info info, F1 on_event, F2 on_rule, collector<R>* down, const side_outputs& sides,
                 std::string state_name)
    : two_input_part<A, B>(std::move(info)), on_event_(std::move(on_event)), on_rule_(std::move(on_rule)),
      rules_(this->info_, down, sides, std::move(state_name)) {
    this->manage(on_event_);
    this->manage(on_rule_);
  }

  void on_a(const A& value, int64_t ts) override {
    auto& ctx = rules_.context();
    process_context_access::set_timestamp(ctx, ts);
    rules_.out().set_timestamp(ts);
    guarded(this->info_, [&] { on_event_(value, rules_.state().view(), ctx, rules_.out()); });
  }
  void on_b(const B& rule, int64_t ts) override { rules_.on_rule(on_rule_, rule, ts); }
  watermark_result on_watermark(int64_t watermark) override {
    watermark_ = std::max(watermark_, watermark);
    rules_.advance(watermark);
    return watermark;
  }
  bool stateful() const override { return true; }
  void snapshot(operator_snapshot& out) override {
    out.operator_state = encode_operator_state({watermark_, 0, {}});
    rules_.state().snapshot(this->info_, out);
  }
  void restore(const operator_snapshot& in) override {
    if (auto st = restored_operator_state(this->info_, in)) watermark_ = st->watermark;
    rules_.advance(watermark_);
    rules_.state().restore(this->info_, in);
  }

private:
  F1 on_event_;
  F2 on_rule_;
  rule_runner<B, R, BK, BV> rules_;
  int64_t watermark_ = INT64_MIN;
};

} // namespace weir::detail
