#pragma once

/// \file
/// The broadcast state pattern: a low-volume stream of rules reaches every
/// subtask of an operator, which keeps them in a map that is the same on
/// every subtask, while its other input (keyed or not) reads them. Part of
/// weir/stream.hpp: include that, not this.

#include <map>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "weir/detail/broadcast_parts.hpp"
#include "weir/stream.hpp"

namespace weir {

/// Names a broadcast state and its types: a map from BK to BV (Flink's
/// MapStateDescriptor for broadcast state). The name is the state's field
/// name in checkpoints and in `weir state query`; keep it across versions
/// of a job to keep the state.
template <class BK, class BV>
struct broadcast_state_descriptor {
  static_assert(has_codec_v<BK> && has_codec_v<BV>,
                "weir: broadcast state keys and values need a codec (see weir/codec.hpp)");
  std::string name;

  /// Throws std::invalid_argument for an empty name.
  explicit broadcast_state_descriptor(std::string state_name) : name(std::move(state_name)) {
    if (name.empty()) throw std::invalid_argument("weir: a broadcast state needs a name");
  }
};

/// A stream of rules to broadcast, made by stream::broadcast(descriptor).
/// Connect it to another stream to use it.
template <class B, class BK, class BV>
class broadcast_stream {
public:
  /// Made by stream::broadcast(descriptor).
  broadcast_stream(stream<B> rules, broadcast_state_descriptor<BK, BV> state)
    : rules_(rules), state_(std::move(state)) {}
  /// The rules stream.
  const stream<B>& rules() const noexcept { return rules_; }
  /// Its state's descriptor.
  const broadcast_state_descriptor<BK, BV>& state() const noexcept { return state_; }

private:
  stream<B> rules_;
  broadcast_state_descriptor<BK, BV> state_;
};

namespace detail {

/// A node reading `events` (input 0, as `events_input` says) and
/// `rules` (input 1, every record to every subtask).
template <class A, class B>
vertex broadcast_vertex(const stream<A>& events, vertex_input events_input, const stream<B>& rules,
                        const char* name) {
  if (rules.env() != events.env())
    throw std::invalid_argument("weir: connect to broadcast rules of another environment");
  vertex n;
  n.name = name;
  n.chainable = false;
  n.inputs.push_back(std::move(events_input));
  auto in = rules.as_input(partitioning::broadcast, true);
  in.mode = partitioning::broadcast; // whatever was asked upstream: every subtask needs every rule
  in.mode_set = true;
  n.inputs.push_back(std::move(in));
  return n;
}

} // namespace detail

/// Events without keys connected to broadcast rules (Flink's
/// BroadcastProcessFunction): connect(rules).process(on_event, on_rule).
template <class A, class B, class BK, class BV>
class broadcast_connected_streams {
public:
  /// Made by stream::connect(broadcast_stream).
  broadcast_connected_streams(stream<A> events, broadcast_stream<B, BK, BV> rules)
    : events_(events), rules_(std::move(rules)) {}

  /// on_event(const A&, const std::map<BK, BV>& state, process_context&, emitter<R>&)
  /// per event, reading the broadcast state; on_rule(const B&, std::map<BK,
  /// BV>& state, process_context&, emitter<R>&) per rule, on every subtask,
  /// changing it. The rule function must change the state the same way on
  /// every subtask (from the rule alone): each subtask holds its own copy,
  /// and only subtask 0's is checkpointed and restored to all. Which input
  /// comes first is arrival order: for results that do not depend on it,
  /// give rules event time and wait for the watermark (a keyed timer).
  /// Events reach the operator forward at equal parallelism, else round
  /// robin. Not chained.
  template <class R, class F1, class F2>
  stream<R> process(F1 on_event, F2 on_rule) {
    using Map = std::map<BK, BV>;
    static_assert(std::is_invocable_v<F1&, const A&, const Map&, process_context&, emitter<R>&>,
                  "weir: broadcast process expects on_event(const A&, const std::map<BK, BV>&, "
                  "weir::process_context&, weir::emitter<R>&)");
    static_assert(std::is_invocable_v<F2&, const B&, Map&, process_context&, emitter<R>&>,
                  "weir: broadcast process expects on_rule(const B&, std::map<BK, BV>&, "
                  "weir::process_context&, weir::emitter<R>&)");
    auto n = detail::broadcast_vertex(events_, events_.as_input(), rules_.rules(), "broadcast_process");
    auto name = rules_.state().name;
    n.make_part = [=](const subtask_info& info, const detail::part_outputs& out) {
      return std::make_unique<detail::broadcast_part<A, B, BK, BV, R, F1, F2>>(
        info, on_event, on_rule, out.main.as<R>(), detail::side_outputs(out.tagged), name);
    };
    detail::set_output_fanout<R>(n);
    return stream<R>(events_.env(), detail::add_vertex(events_.env()->graph(), std::move(n)));
  }

private:
  stream<A> events_;
  broadcast_stream<B, BK, BV> rules_;
};

/// A keyed stream connected to broadcast rules (Flink's
/// KeyedBroadcastProcessFunction): connect(rules).process<R, State>(on_event, on_rule, on_timer).
template <class A, class K, class KA, class B, class BK, class BV>
class keyed_broadcast_connected_streams {
public:
  /// Made by keyed_stream::connect(broadcast_stream).
  keyed_broadcast_connected_streams(stream<A> events, KA ka, broadcast_stream<B, BK, BV> rules,
                                    std::optional<state_ttl> ttl = std::nullopt)
    : events_(events), ka_(std::move(ka)), rules_(std::move(rules)), ttl_(ttl) {}

  /// As a keyed process function whose functions also see the broadcast
  /// state: on_event(const A&, State&, const std::map<BK, BV>&,
  /// keyed_context<K>&, emitter<R>&) per event, on_timer(int64_t, State&,
  /// const std::map<BK, BV>&, keyed_context<K>&, emitter<R>&) per due timer,
  /// and on_rule(const B&, std::map<BK, BV>&, process_context&, emitter<R>&)
  /// per rule on every subtask (without a key: it sees no keyed state). As
  /// for broadcast_connected_streams::process, the rule function changes the
  /// state the same way everywhere, and arrival order between the inputs is
  /// not fixed: register a timer at an event's time to read the rules that
  /// hold at it once the watermark (the least of both inputs') passes.
  template <class R, class State, class F1, class F2, class G>
  stream<R> process(F1 on_event, F2 on_rule, G on_timer) {
    using Map = std::map<BK, BV>;
    static_assert(std::is_invocable_v<F1&, const A&, State&, const Map&, keyed_context<K>&, emitter<R>&>,
                  "weir: keyed broadcast process expects on_event(const A&, State&, const std::map<BK, BV>&, "
                  "weir::keyed_context<K>&, weir::emitter<R>&)");
    static_assert(std::is_invocable_v<F2&, const B&, Map&, process_context&, emitter<R>&>,
                  "weir: keyed broadcast process expects on_rule(const B&, std::map<BK, BV>&, "
                  "weir::process_context&, weir::emitter<R>&)");
    static_assert(std::is_invocable_v<G&, int64_t, State&, const Map&, keyed_context<K>&, emitter<R>&>,
                  "weir: keyed broadcast process expects on_timer(int64_t, State&, const std::map<BK, BV>&, "
                  "weir::keyed_context<K>&, weir::emitter<R>&)");
    static_assert(detail::state_traits<State>::storable,
                  "weir: a keyed State must say how it is checkpointed: declare its fields with "
                  "void fields(weir::state_fields& f) { f(\"name\", member)(\"other\", other); } "
                  "(see weir/state.hpp), or give it a weir::codec");
    auto events = events_.as_input(partitioning::hash, true);
    events.mode = partitioning::hash; // keyed: each key to the subtask that owns it
    events.make_writer = detail::keyed_writer_factory<A>(ka_);
    auto n = detail::broadcast_vertex(events_, std::move(events), rules_.rules(), "keyed_broadcast_process");
    auto ka = ka_;
    auto name = rules_.state().name;
    auto ttl = ttl_;
    n.make_part = [=](const subtask_info& info, const detail::part_outputs& out) {
      return std::make_unique<detail::keyed_broadcast_part<A, B, K, KA, BK, BV, State, R, F1, F2, G>>(
        info, ka, on_event, on_rule, on_timer, out.main.as<R>(), detail::side_outputs(out.tagged), name, ttl);
    };
    detail::set_output_fanout<R>(n);
    return stream<R>(events_.env(), detail::add_vertex(events_.env()->graph(), std::move(n)));
  }

  /// The same without timers.
  template <class R, class State, class F1, class F2>
  stream<R> process(F1 on_event, F2 on_rule) {
    return process<R, State>(std::move(on_event), std::move(on_rule),
                             [](int64_t, State&, const std::map<BK, BV>&, keyed_context<K>&, emitter<R>&) {});
  }

private:
  stream<A> events_;
  KA ka_;
  broadcast_stream<B, BK, BV> rules_;
  std::optional<state_ttl> ttl_; // the keyed stream's: for the keyed State, not the broadcast map
};

template <class T>
template <class BK, class BV>
broadcast_stream<T, BK, BV> stream<T>::broadcast(const broadcast_state_descriptor<BK, BV>& state) const {
  return broadcast_stream<T, BK, BV>(*this, state);
}

template <class T>
template <class B, class BK, class BV>
broadcast_connected_streams<T, B, BK, BV> stream<T>::connect(const broadcast_stream<B, BK, BV>& rules) const {
  return broadcast_connected_streams<T, B, BK, BV>(*this, rules);
}

template <class T, class K, class KeyFn>
template <class B, class BK, class BV>
keyed_broadcast_connected_streams<T, K, KeyFn, B, BK, BV> keyed_stream<T, K, KeyFn>::connect(
  const broadcast_stream<B, BK, BV>& rules) const {
  return {stream<T>(env_, vertex_, port_), key_fn_, rules, ttl_};
}

} // namespace weir
