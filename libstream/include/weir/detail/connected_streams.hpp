#pragma once

/// \file
/// Two-input operators: connect + keyed co-process function, windowed
/// join, interval join. Part of weir/stream.hpp: include that, not this.

#include <chrono>
#include <optional>
#include <stdexcept>

#include "weir/detail/two_input_parts.hpp"
#include "weir/stream.hpp"

namespace weir {

namespace detail {

/// Adds a node reading `a` (input 0) and `b` (input 1), both partitioned by key.
template <class A, class B, class KA, class KB, class Make>
int add_keyed_two_input(const stream<A>& a, const stream<B>& b, KA ka, KB kb, const char* name,
                        Make make) {
  vertex n;
  n.name = name;
  n.chainable = false;
  n.make_part = std::move(make);
  n.inputs.push_back(a.as_input(partitioning::hash, true));
  n.inputs.push_back(b.as_input(partitioning::hash, true));
  // Keyed inputs are hash-partitioned whatever was asked upstream (rebalance()
  // before connect would send keys to subtasks that do not own them).
  for (auto& in : n.inputs) in.mode = partitioning::hash;
  n.inputs[0].make_writer = keyed_writer_factory<A>(ka);
  n.inputs[1].make_writer = keyed_writer_factory<B>(kb);
  return add_vertex(a.env()->graph(), std::move(n));
}

} // namespace detail

/// Two keyed streams with the same key type, processed together.
template <class A, class B, class K, class KA, class KB>
class keyed_connected_streams {
public:
  /// Made by connected_streams::key_by: `a` keyed by `ka`, `b` by `kb`.
  keyed_connected_streams(stream<A> a, stream<B> b, KA ka, KB kb)
    : a_(a), b_(b), ka_(std::move(ka)), kb_(std::move(kb)) {}

  /// One State per key shared by both inputs: fn1(const A&, State&, ctx, out)
  /// and fn2(const B&, State&, ctx, out) per record, on_timer(time, State&,
  /// ctx, out) per due event-time timer. Which input's record comes first is
  /// arrival order: write functions whose result does not depend on it (or
  /// wait for a timer).
  template <class R, class State, class F1, class F2, class G>
  stream<R> process(F1 fn1, F2 fn2, G on_timer) {
    static_assert(std::is_invocable_v<F1&, const A&, State&, keyed_context<K>&, emitter<R>&>,
                  "weir: co-process expects fn1(const A&, State&, weir::keyed_context<K>&, weir::emitter<R>&)");
    static_assert(std::is_invocable_v<F2&, const B&, State&, keyed_context<K>&, emitter<R>&>,
                  "weir: co-process expects fn2(const B&, State&, weir::keyed_context<K>&, weir::emitter<R>&)");
    static_assert(detail::state_traits<State>::storable,
                  "weir: a keyed State must say how it is checkpointed: declare its fields with "
                  "void fields(weir::state_fields& f) { f(\"name\", member)(\"other\", other); } "
                  "(see weir/state.hpp), or give it a weir::codec");
    auto ka = ka_;
    auto kb = kb_;
    auto ttl = ttl_;
    int id = detail::add_keyed_two_input(
      a_, b_, ka_, kb_, "co_process",
      [=](const subtask_info& info, const detail::part_outputs& out) {
        return std::make_unique<detail::co_process_part<A, B, K, KA, KB, State, R, F1, F2, G>>(
          info, ka, kb, fn1, fn2, on_timer, out.main.as<R>(), detail::side_outputs(out.tagged), ttl);
      });
    detail::set_output_fanout<R>(a_.env()->graph().vertices[id]);
    return stream<R>(a_.env(), id);
  }

  /// As process(fn1, fn2, on_timer), without timers.
  template <class R, class State, class F1, class F2>
  stream<R> process(F1 fn1, F2 fn2) {
    return process<R, State>(std::move(fn1), std::move(fn2),
                             [](int64_t, State&, keyed_context<K>&, emitter<R>&) {});
  }

  /// These streams whose co-process State expires `ttl` after its key's
  /// last access by a record of either input (see weir/state_ttl.hpp).
  keyed_connected_streams state_ttl(weir::state_ttl ttl) const {
    keyed_connected_streams s = *this;
    s.ttl_ = ttl;
    return s;
  }

private:
  stream<A> a_;
  stream<B> b_;
  KA ka_;
  KB kb_;
  std::optional<weir::state_ttl> ttl_;
};

/// Two streams to be keyed together: connect(other).key_by(ka, kb).
template <class A, class B>
class connected_streams {
public:
  /// Made by stream::connect.
  connected_streams(stream<A> a, stream<B> b) : a_(a), b_(b) {}

  /// Keys `a` by `ka` and `b` by `kb`; both must return the same key type.
  template <class KA, class KB>
  auto key_by(KA ka, KB kb) const {
    using K = std::decay_t<std::invoke_result_t<KA&, const A&>>;
    static_assert(std::is_same_v<K, std::decay_t<std::invoke_result_t<KB&, const B&>>>,
                  "weir: both key selectors of connected streams must return the same key type");
    return keyed_connected_streams<A, B, K, KA, KB>(a_, b_, std::move(ka), std::move(kb));
  }

  /// Without keys (Flink's CoFlatMap): f1(const A&, emitter<R>&) for this
  /// stream's records, f2(const B&, emitter<R>&) for the other's, each
  /// emitting any number of records with the input's timestamp. R is
  /// deduced from f1's emitter, or given: flat_map<R>(f1, f2). Each input
  /// reaches it forward when its parallelism is the operator's, else round
  /// robin (rebalance(), broadcast() upstream choose otherwise); which
  /// input's record comes first is arrival order. The watermark is the
  /// least of both inputs'. Not stateful, not chained.
  template <class R = void, class F1, class F2>
  auto flat_map(F1 f1, F2 f2) const {
    using Out = std::conditional_t<std::is_void_v<R>, typename detail::flat_map_output<F1>::type, R>;
    static_assert(!std::is_void_v<Out>, "weir: connect(..).flat_map expects f1(const A&, weir::emitter<R>&); "
                                        "for generic lambdas name the output type: flat_map<R>(f1, f2)");
    if constexpr (!std::is_void_v<Out>) {
      static_assert(std::is_invocable_v<F1&, const A&, emitter<Out>&>,
                    "weir: connect(..).flat_map expects f1(const A&, weir::emitter<R>&)");
      static_assert(std::is_invocable_v<F2&, const B&, emitter<Out>&>,
                    "weir: connect(..).flat_map expects f2(const B&, weir::emitter<R>&) with f1's R");
      detail::vertex n;
      n.name = "co_flat_map";
      n.stateful = false;
      n.chainable = false;
      n.make_part = [f1, f2](const subtask_info& info, const detail::part_outputs& out) {
        return std::make_unique<detail::co_flat_map_part<A, B, Out, F1, F2>>(info, f1, f2, out.main.as<Out>());
      };
      n.inputs.push_back(a_.as_input());
      n.inputs.push_back(b_.as_input());
      detail::set_output_fanout<Out>(n);
      return stream<Out>(a_.env(), detail::add_vertex(a_.env()->graph(), std::move(n)));
    } else {
      return a_;
    }
  }

  /// Without keys (Flink's CoMap): f1(const A&) -> R and f2(const B&) -> R,
  /// one record out per record in; as flat_map(f1, f2) otherwise.
  template <class F1, class F2>
  auto map(F1 f1, F2 f2) const {
    static_assert(std::is_invocable_v<F1&, const A&> && std::is_invocable_v<F2&, const B&>,
                  "weir: connect(..).map expects f1(const A&) -> R and f2(const B&) -> R");
    using R = std::decay_t<std::invoke_result_t<F1&, const A&>>;
    static_assert(std::is_same_v<R, std::decay_t<std::invoke_result_t<F2&, const B&>>>,
                  "weir: connect(..).map expects f1 and f2 to return the same type");
    return flat_map<R>([f1](const A& a, emitter<R>& out) mutable { out.emit(f1(a)); },
                       [f2](const B& b, emitter<R>& out) mutable { out.emit(f2(b)); });
  }

private:
  stream<A> a_;
  stream<B> b_;
};

/// a.join(b).where(ka).equal_to(kb).window(assigner).apply(fn(const A&, const B&) -> R):
/// every pair of records with equal keys in the same window, once it fires.
template <class A, class B, class KA, class KB>
class join_builder {
public:
  /// Made by stream::join.
  join_builder(stream<A> a, stream<B> b, KA ka = {}, KB kb = {}, std::optional<window_assigner> w = {})
    : a_(a), b_(b), ka_(std::move(ka)), kb_(std::move(kb)), window_(w) {}

  /// The key of A: ka(const A&) -> K.
  template <class F>
  join_builder<A, B, F, KB> where(F ka) const {
    return {a_, b_, std::move(ka), kb_, window_};
  }
  /// The key of B: kb(const B&) -> K, the same type as where's.
  template <class F>
  join_builder<A, B, KA, F> equal_to(F kb) const {
    return {a_, b_, ka_, std::move(kb), window_};
  }
  /// Tumbling or sliding windows (session joins are not supported).
  join_builder window(window_assigner w) const {
    if (w.merging()) throw std::invalid_argument("weir: a window join needs tumbling or sliding windows");
    if (w.processing_time())
      throw std::invalid_argument("weir: a window join needs event-time windows");
    return {a_, b_, ka_, kb_, w};
  }

  /// fn(const A&, const B&) -> R for every pair with equal keys in a
  /// window, once the window fires; the joined stream of R.
  template <class F>
  auto apply(F fn) {
    static_assert(!std::is_same_v<KA, detail::no_key> && !std::is_same_v<KB, detail::no_key>,
                  "weir: a join needs .where(key of A) and .equal_to(key of B) before apply");
    using K = std::decay_t<std::invoke_result_t<KA&, const A&>>;
    using R = std::decay_t<std::invoke_result_t<F&, const A&, const B&>>;
    if (!window_) throw std::invalid_argument("weir: a join needs .window(...) before apply");
    auto ka = ka_;
    auto kb = kb_;
    auto w = *window_;
    int id = detail::add_keyed_two_input(
      a_, b_, ka_, kb_, "window_join", [=](const subtask_info& info, const detail::part_outputs& out) {
        return std::make_unique<detail::window_join_part<A, B, K, KA, KB, R, F>>(info, ka, kb, w, fn,
                                                                                 out.main.as<R>());
      });
    detail::set_output_fanout<R>(a_.env()->graph().vertices[id]);
    return stream<R>(a_.env(), id);
  }

private:
  template <class, class, class, class>
  friend class join_builder;
  stream<A> a_;
  stream<B> b_;
  KA ka_;
  KB kb_;
  std::optional<window_assigner> window_;
};

/// a.key_by(ka).interval_join(b.key_by(kb)).between(lower, upper).process(fn):
/// pairs with b's timestamp in [a's + lower, a's + upper].
template <class A, class B, class K, class KA, class KB>
class interval_join_builder {
public:
  /// Made by keyed_stream::interval_join.
  interval_join_builder(stream<A> a, stream<B> b, KA ka, KB kb) : a_(a), b_(b), ka_(ka), kb_(kb) {}

  /// B's timestamp within [A's + lower, A's + upper], both inclusive;
  /// lower above upper throws std::invalid_argument.

  interval_join_builder& between(std::chrono::milliseconds lower, std::chrono::milliseconds upper) {
    if (lower > upper) throw std::invalid_argument("weir: interval join lower bound above upper bound");
    lower_ = static_cast<int64_t>(lower.count());
    upper_ = static_cast<int64_t>(upper.count());
    return *this;
  }

  /// fn(const A&, const B&, emitter<R>&); R deduced from the emitter or given.
  template <class R = void, class F>
  auto process(F fn) {
    using Out = std::conditional_t<std::is_void_v<R>, typename detail::interval_output<F>::type, R>;
    static_assert(!std::is_void_v<Out>,
                  "weir: an interval join expects fn(const A&, const B&, weir::emitter<R>&)");
    auto ka = ka_;
    auto kb = kb_;
    auto lower = lower_;
    auto upper = upper_;
    int id = detail::add_keyed_two_input(
      a_, b_, ka_, kb_, "interval_join", [=](const subtask_info& info, const detail::part_outputs& out) {
        return std::make_unique<detail::interval_join_part<A, B, K, KA, KB, Out, F>>(
          info, ka, kb, lower, upper, fn, out.main.as<Out>());
      });
    detail::set_output_fanout<Out>(a_.env()->graph().vertices[id]);
    return stream<Out>(a_.env(), id);
  }

private:
  stream<A> a_;
  stream<B> b_;
  KA ka_;
  KB kb_;
  int64_t lower_ = 0;
  int64_t upper_ = 0;
};

template <class T>
template <class B>
connected_streams<T, B> stream<T>::connect(stream<B> other) const {
  return connected_streams<T, B>(*this, other);
}

template <class T>
template <class B>
join_builder<T, B, detail::no_key, detail::no_key> stream<T>::join(stream<B> other) const {
  return join_builder<T, B, detail::no_key, detail::no_key>(*this, other);
}

template <class T, class K, class KeyFn>
template <class B, class KB>
interval_join_builder<T, B, K, KeyFn, KB> keyed_stream<T, K, KeyFn>::interval_join(
  const keyed_stream<B, K, KB>& other) const {
  refuse_ttl("interval_join");
  if (other.has_ttl())
    throw std::logic_error("weir: state_ttl is for keyed state that lives on; interval_join drops its state "
                           "when time passes it (the other side has a TTL)");
  return {stream<T>(env_, vertex_, port_), stream<B>(other.env(), other.vertex_id(), other.port()), key_fn_,
          other.key_selector()};
}

} // namespace weir
