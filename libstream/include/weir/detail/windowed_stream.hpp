#pragma once

/// \file
/// Windowed streams: keyed_stream::window(assigner), then reduce,
/// aggregate or process. Part of weir/stream.hpp: include that, not this.

#include <chrono>
#include <stdexcept>
#include <string>

#include "weir/detail/window_part.hpp"
#include "weir/stream.hpp"

namespace weir {

/// The output of a window operator: a stream of results, plus the records
/// that arrived too late for all their windows (beyond allowed lateness).
template <class R, class T>
class window_result : public stream<R> {
public:
  /// Made by the window operators: `vertex` is the window operator.
  window_result(environment* env, int vertex) : stream<R>(env, vertex) {}

  /// Late records as they arrived, with their timestamps. Without a consumer
  /// they are only counted (job_result::late_records).
  stream<T> late_data() const { return stream<T>(this->env(), this->vertex_id(), 1); }
};

/// Records of a keyed stream grouped into windows. Under the default
/// trigger, results do not depend on arrival order or parallelism as long as
/// reduce and aggregate functions are associative and commutative (sessions
/// merge partial results in any order); see window_trigger for the others.
template <class T, class K, class KeyFn>
class windowed_stream {
public:
  /// Made by keyed_stream::window.
  windowed_stream(environment* env, int input, KeyFn key_fn, window_assigner assigner, int port = 0)
    : env_(env), input_(input), port_(port), key_fn_(std::move(key_fn)), assigner_(assigner) {}

  /// Keeps a window's state this long after it fired: a late record within it
  /// updates the window and fires it again; beyond it the record is late data.
  windowed_stream& allowed_lateness(std::chrono::milliseconds lateness) {
    if (lateness.count() < 0)
      throw std::invalid_argument("weir: allowed lateness must not be negative, got "
                                  + std::to_string(lateness.count()) + " ms");
    config_.lateness = static_cast<int64_t>(lateness.count());
    return *this;
  }

  /// Early results of long event-time windows: every `every` of processing
  /// time, each window that holds records and has not fired yet emits its
  /// result so far; it still fires with its final result when the watermark
  /// passes it (Flink's ContinuousProcessingTimeTrigger before the event-time
  /// one). Early results carry the window's timestamp, as the final one;
  /// a downstream sees several results per window, the last one final. Early
  /// firings are not in checkpoints: after a restore they go on from the
  /// restored windows. Throws std::invalid_argument for a period under 1 ms
  /// or on processing-time windows (they fire on processing time anyway).
  windowed_stream& early_firing_every(std::chrono::milliseconds every) {
    if (every.count() < 1) throw std::invalid_argument("weir: early firings need a period of at least 1 ms");
    if (assigner_.processing_time())
      throw std::invalid_argument("weir: early firings are for event-time windows");
    if (!config_.trigger.is_default())
      throw std::invalid_argument("weir: a window with a trigger has no early firings: its trigger says when it fires");
    config_.early_every = static_cast<int64_t>(every.count());
    return *this;
  }

  /// Replaces when the windows fire (see window_trigger): on a count of
  /// records, a predicate, or periods of event time, purging or not.
  /// Throws std::invalid_argument after early_firing_every (one decides
  /// when a window fires, not both) and for event_time_every on
  /// processing-time windows. A checkpoint taken under the default trigger
  /// does not restore under another (nor back): the window state differs.
  windowed_stream& trigger(window_trigger<T> t) {
    if (config_.early_every > 0 && !t.is_default())
      throw std::invalid_argument("weir: a window with early firings takes no trigger: early_firing_every is one");
    if (t.what() == window_trigger<T>::kind::event_time_every && assigner_.processing_time())
      throw std::invalid_argument("weir: event_time_every is for event-time windows");
    config_.trigger = std::move(t);
    return *this;
  }

  /// A count evictor (Flink's CountEvictor.of(n)) for a window process
  /// function: each window keeps only its last `n` records, evicted as
  /// records arrive, so its state stays bounded; the function sees those.
  /// "Last" is arrival order (merged sessions: the earlier window's records
  /// first). Throws std::invalid_argument for 0; reduce and aggregate throw
  /// std::logic_error after it (they keep no records to evict).
  windowed_stream& keep_last(size_t n) {
    if (n == 0) throw std::invalid_argument("weir: a count evictor keeps at least 1 record");
    keep_last_ = n;
    return *this;
  }

  /// Late records (beyond the allowed lateness) also go to the side output
  /// of `tag`, with their timestamps: result.side_output(tag) reads them
  /// (Flink's sideOutputLateData and getSideOutput). late_data() still
  /// reads them too.
  windowed_stream& side_output_late_data(const output_tag<T>& tag) {
    config_.late_tag = tag.name;
    return *this;
  }

  /// One result per key and window: fn(const T&, const T&) -> T folded over
  /// the window's records; the state holds one T per window.
  template <class F>
  window_result<T, T> reduce(F fn) {
    static_assert(std::is_invocable_r_v<T, F&, const T&, const T&>,
                  "weir: window reduce expects fn(const T& accumulated, const T& next) -> T");
    refuse_evictor("reduce");
    return add("window_reduce", detail::reduce_policy<T, F>{std::move(fn)});
  }

  /// Incremental aggregation: `agg` provides ACC create_accumulator(),
  /// ACC add(const T&, ACC), OUT get_result(const ACC&) and ACC merge(ACC, ACC).
  /// The state holds one ACC per window.
  template <class Agg>
  auto aggregate(Agg agg) {
    using policy = detail::aggregate_policy<T, Agg>;
    static_assert(has_codec_v<typename policy::acc_type>,
                  "weir: an aggregate's accumulator type needs a weir::codec to be checkpointed");
    refuse_evictor("aggregate");
    return add("window_aggregate", policy{std::move(agg)});
  }

  /// Incremental aggregation plus the window: wf(const K& key, const
  /// time_window& w, const OUT& result, emitter<R>& out) gets each window's
  /// aggregate once it fires (Flink's aggregate(agg, windowFunction)). R is
  /// deduced from the emitter, or given: aggregate<R>(agg, wf).
  template <class R = void, class Agg, class WF>
  auto aggregate(Agg agg, WF wf) {
    using Out = std::conditional_t<std::is_void_v<R>, typename detail::process_output<WF>::type, R>;
    static_assert(!std::is_void_v<Out>,
                  "weir: a window function is fn(const K&, const weir::time_window&, const OUT&, "
                  "weir::emitter<R>&)");
    using inner = detail::aggregate_policy<T, Agg>;
    static_assert(has_codec_v<typename inner::acc_type>,
                  "weir: an aggregate's accumulator type needs a weir::codec to be checkpointed");
    refuse_evictor("aggregate");
    return add("window_aggregate",
               detail::aggregate_window_policy<T, Agg, Out, WF>{inner{std::move(agg)}, std::move(wf)});
  }

  /// fn(const K& key, const time_window& w, const std::vector<T>& records,
  /// emitter<R>& out): sees all of a window's records (kept in state until it
  /// fires) and its bounds. R is deduced from the emitter, or given: process<R>(fn).
  /// With a fifth parameter, fn(key, w, records, weir::process_context& ctx, out)
  /// also writes side outputs (ctx.output(tag, value), with the window's
  /// last millisecond as timestamp) and sees the watermark (Flink's
  /// ProcessWindowFunction context).
  template <class R = void, class F>
  auto process(F fn) {
    using Out4 = typename detail::process_output<F>::type;
    using Out5 = typename detail::emitter_output<F, 5>::type;
    using Out = std::conditional_t<!std::is_void_v<R>, R, std::conditional_t<!std::is_void_v<Out4>, Out4, Out5>>;
    static_assert(!std::is_void_v<Out>,
                  "weir: window process expects fn(const K&, const weir::time_window&, "
                  "const std::vector<T>&, [weir::process_context&,] weir::emitter<R>&)");
    if constexpr (std::is_void_v<Out>)
      return *this;
    else if constexpr (std::is_invocable_v<F&, const K&, const time_window&, const std::vector<T>&, process_context&,
                                           emitter<Out>&>)
      return add("window_process", detail::process_context_policy<T, Out, F>{{std::move(fn), keep_last_}, std::nullopt});
    else
      return add("window_process", detail::process_policy<T, Out, F>{std::move(fn), keep_last_});
  }

private:
  template <class Policy>
  window_result<typename Policy::out_type, T> add(const char* name, Policy policy) {
    using Out = typename Policy::out_type;
    detail::vertex n;
    n.name = name;
    auto key_fn = key_fn_;
    auto assigner = assigner_;
    auto config = config_;
    n.make_part = [=](const subtask_info& info, const detail::part_outputs& out) {
      return std::make_unique<detail::window_part<T, K, KeyFn, Policy>>(
        info, key_fn, policy, assigner, config, out.main.as<Out>(), out.side.as<T>(),
        detail::side_outputs(out.tagged));
    };
    detail::set_output_fanout<Out>(n);
    n.make_side_fanout = detail::fanout_factory<T>();
    int id = stream<T>(env_, input_, port_).attach(std::move(n), partitioning::hash, true);
    env_->graph().vertices[id].inputs[0].make_writer = detail::keyed_writer_factory<T>(key_fn_);
    return window_result<Out, T>(env_, id);
  }

  environment* env_;
  int input_;
  int port_;
  KeyFn key_fn_;
  window_assigner assigner_;
  detail::window_config<T> config_;
  size_t keep_last_ = 0; // 0: no count evictor

  void refuse_evictor(const char* what) const {
    if (keep_last_ > 0)
      throw std::logic_error(std::string("weir: keep_last evicts a window process function's records; a window ")
                             + what + " keeps none");
  }
};

template <class T, class K, class KeyFn>
windowed_stream<T, K, KeyFn> keyed_stream<T, K, KeyFn>::window(window_assigner assigner) const {
  refuse_ttl("window");
  return windowed_stream<T, K, KeyFn>(env_, vertex_, key_fn_, assigner, port_);
}

} // namespace weir
