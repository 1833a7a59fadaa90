#pragma once

/// \file
/// Keyed streams: key_by(...) then reduce, process, window or
/// interval_join. Part of weir/stream.hpp: include that, not this.

#include "weir/stream.hpp"

namespace weir {

/// A stream partitioned by key: records with equal keys reach the same subtask.
template <class T, class K, class KeyFn>
class keyed_stream {
public:
  /// Made by stream::key_by: output `port` of `vertex`, keyed by `key_fn`.
  keyed_stream(environment* env, int vertex, KeyFn key_fn, int port = 0)
    : env_(env), vertex_(vertex), port_(port), key_fn_(std::move(key_fn)) {}

  /// A keyed process function with per-key state and event-time timers:
  /// fn(const T&, State&, keyed_context<K>&, emitter<R>&) for every record,
  /// on_timer(int64_t time, State&, keyed_context<K>&, emitter<R>&) for every
  /// due timer. State is a default-constructible struct (typically of
  /// value_state, list_state, map_state, reducing_state from weir/state.hpp),
  /// one per key, created on the key's first record.
  template <class R, class State, class F, class G>
  stream<R> process(F fn, G on_timer) {
    static_assert(std::is_invocable_v<F&, const T&, State&, keyed_context<K>&, emitter<R>&>,
                  "weir: keyed process expects fn(const T&, State&, weir::keyed_context<K>&, "
                  "weir::emitter<R>&)");
    static_assert(std::is_invocable_v<G&, int64_t, State&, keyed_context<K>&, emitter<R>&>
                      || std::is_same_v<G, detail::timers_in_fn>,
                  "weir: a keyed timer function is fn(int64_t time, State&, "
                  "weir::keyed_context<K>&, weir::emitter<R>&)");
    static_assert(detail::state_traits<State>::storable,
                  "weir: a keyed State must say how it is checkpointed: declare its fields with "
                  "void fields(weir::state_fields& f) { f(\"name\", member)(\"other\", other); } "
                  "(see weir/state.hpp), or give it a weir::codec");
    detail::vertex n;
    n.name = "keyed_process";
    auto key_fn = key_fn_;
    auto ttl = ttl_;
    n.make_part = [key_fn, fn, on_timer, ttl](const subtask_info& info, const detail::part_outputs& out) {
      return std::make_unique<detail::keyed_process_part<T, K, KeyFn, State, R, F, G>>(
        info, key_fn, fn, on_timer, out.main.as<R>(), detail::side_outputs(out.tagged), ttl);
    };
    detail::set_output_fanout<R>(n);
    int id = stream<T>(env_, vertex_, port_).attach(std::move(n), partitioning::hash, true);
    env_->graph().vertices[id].inputs[0].make_writer = detail::keyed_writer_factory<T>(key_fn);
    return stream<R>(env_, id);
  }

  /// This keyed stream whose keyed state expires `ttl` after its key's last
  /// access (see weir/state_ttl.hpp): a process function's State, a rolling
  /// reduce's value, a count or global window's contents, the State of a
  /// connection to broadcast rules. Time windows and interval joins clean
  /// their state by time already: they throw std::logic_error.
  keyed_stream state_ttl(weir::state_ttl ttl) const {
    keyed_stream s = *this;
    s.ttl_ = ttl;
    return s;
  }

  /// The same without timers.
  template <class R, class State, class F>
  stream<R> process(F fn) {
    return process<R, State>(std::move(fn),
                             [](int64_t, State&, keyed_context<K>&, emitter<R>&) {});
  }

  /// Joins with `other` (keyed the same way) on time intervals:
  /// interval_join(other).between(lower, upper).process(fn).
  template <class B, class KB>
  interval_join_builder<T, B, K, KeyFn, KB> interval_join(const keyed_stream<B, K, KB>& other) const;

  /// Processes this keyed stream with broadcast rules (Flink's
  /// KeyedBroadcastProcessFunction): connect(rules).process<R, State>(on_event, on_rule, on_timer).
  template <class B, class BK, class BV>
  keyed_broadcast_connected_streams<T, K, KeyFn, B, BK, BV> connect(const broadcast_stream<B, BK, BV>& rules) const;

  /// The environment the stream belongs to.
  environment* env() const noexcept { return env_; }
  /// The operator producing the stream, in the job graph.
  int vertex_id() const noexcept { return vertex_; }
  /// Which output of that operator.
  int port() const noexcept { return port_; }
  /// The key selector key_by was given.
  const KeyFn& key_selector() const noexcept { return key_fn_; }
  /// Whether state_ttl() was given.
  bool has_ttl() const noexcept { return ttl_.has_value(); }

  /// Tumbling count windows: every `size` records of a key (see
  /// count_windowed_stream). Throws std::invalid_argument for 0.
  count_windowed_stream<T, K, KeyFn> count_window(uint64_t size) const;
  /// Sliding count windows: every `slide` records of a key, its last `size`.
  count_windowed_stream<T, K, KeyFn> count_window(uint64_t size, uint64_t slide) const;

  /// One global window per key, fired by `trigger` (a count, a predicate,
  /// a period of event or processing time; purging or not), with an
  /// optional evictor: global_window(t).evictor(e).process(fn). See
  /// global_windowed_stream.
  global_windowed_stream<T, K, KeyFn> global_window(global_trigger<T> trigger) const;

  /// Groups each key's records into windows (see weir/windows.hpp).
  windowed_stream<T, K, KeyFn> window(window_assigner assigner) const;

  /// Rolling reduce on keyed state: fn: (const T& accumulated, const T& next) -> T.
  /// Emits the key's new accumulated value for every record; the first record
  /// of a key is emitted as is.
  template <class F>
  stream<T> reduce(F fn) {
    constexpr bool combines = std::is_invocable_r_v<T, F&, const T&, const T&>;
    static_assert(combines, "weir: reduce expects fn(const T& accumulated, const T& next) -> T");
    if constexpr (combines)
      return add_reduce(std::move(fn));
    else
      return stream<T>(env_, vertex_, port_);
  }

private:
  template <class F>
  stream<T> add_reduce(F fn) {
    // Under a TTL, a keyed process function with the TTL machinery (its
    // state is then a keyed_process's: field "value").
    if (ttl_) return process<T, detail::rolling_reduce_state<T>>(detail::rolling_reduce<T, K, F>{{std::move(fn)}});
    detail::vertex n;
    n.name = "reduce";
    auto key_fn = key_fn_;
    n.make_part = [key_fn, fn](const subtask_info& info, const detail::part_outputs& out) {
      return std::make_unique<detail::reduce_part<T, K, KeyFn, F>>(info, key_fn, fn, out.main.as<T>());
    };
    detail::set_output_fanout<T>(n);
    int id = stream<T>(env_, vertex_, port_).attach(std::move(n), partitioning::hash, true);
    env_->graph().vertices[id].inputs[0].make_writer = detail::keyed_writer_factory<T>(key_fn);
    return stream<T>(env_, id);
  }

  // Only a process function takes a TTL.
  void refuse_ttl(const char* what) const {
    if (ttl_)
      throw std::logic_error(std::string("weir: state_ttl is for keyed state that lives on; ") + what
                             + " drops its state when time passes it");
  }

  environment* env_;
  int vertex_;
  int port_ = 0;
  KeyFn key_fn_;
  std::optional<weir::state_ttl> ttl_;
};

} // namespace weir
