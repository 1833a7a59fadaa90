#pragma once

/// \file
/// The user API: build a job from sources, transformations and sinks,
/// then execute it. Include this header only: "weir/stream.hpp".
///
/// Thread safety: an environment and its streams are built from one thread;
/// user functions are copied into each subtask and each copy is called from
/// one thread at a time, so functions need no locking of their own state.

#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "weir/async.hpp"
#include "weir/error.hpp"
#include "weir/event_time.hpp"
#include "weir/functions.hpp"
#include "weir/options.hpp"
#include "weir/partitioned_files.hpp"
#include "weir/state.hpp"
#include "weir/state_ttl.hpp"
#include "weir/detail/async_part.hpp"
#include "weir/detail/graph.hpp"
#include "weir/detail/keyed_process_part.hpp"
#include "weir/detail/parts.hpp"
#include "weir/detail/traits.hpp"
#include "weir/windows.hpp"

namespace weir {

template <class T>
class stream;
template <class T, class K, class KeyFn>
class keyed_stream;
template <class T, class K, class KeyFn>
class windowed_stream;
template <class T, class K, class KeyFn>
class count_windowed_stream;
template <class T>
class global_trigger;
template <class T, class K, class KeyFn>
class global_windowed_stream;
template <class A, class B>
class connected_streams;
template <class A, class B, class KA, class KB>
class join_builder;
template <class A, class B, class K, class KA, class KB>
class interval_join_builder;
template <class BK, class BV>
struct broadcast_state_descriptor;
template <class B, class BK, class BV>
class broadcast_stream;
template <class A, class B, class BK, class BV>
class broadcast_connected_streams;
template <class A, class K, class KA, class B, class BK, class BV>
class keyed_broadcast_connected_streams;

/// The outcome of a job run.
struct job_result {
  error failure;                  ///< Empty on success.
  double seconds = 0;             ///< Wall time from deployment to completion.
  uint64_t source_records = 0;    ///< Records emitted by all sources.
  uint64_t sink_records = 0;      ///< Records written by all sinks.
  uint64_t late_records = 0;      ///< Records that arrived after their windows closed.
  uint64_t checkpoints = 0;       ///< Checkpoints completed in this run (the final one included).
  uint64_t last_checkpoint = 0;   ///< The id of the latest complete checkpoint, or 0.
  uint32_t restarts = 0;          ///< Restarts after failures.
  uint64_t resumed_from = 0;      ///< The checkpoint an earlier run's resume started from, or 0.
  /// The savepoint ("name@version") the job was stopped with on request
  /// (weir job stop); empty when it ran to its end. A stopped job is ok()
  /// and resumes from that savepoint's checkpoint when run again.
  std::string stopped_with;
  /// The savepoint ("name@version") this run started from, or empty.
  std::string restored_savepoint;
  /// Bytes this process read over the network from nodes during the run
  /// (0 without nodes): the relay cost a coordinator pays.
  uint64_t bytes_from_nodes = 0;
  /// Messages this process read from nodes during the run (0 without
  /// nodes): task reports, checkpoint acknowledgements, heartbeats, relayed
  /// frames. Close, not exact (see README, "Several processes").
  uint64_t messages_from_nodes = 0;
  /// Bytes the nodes read over the network during the run, all nodes
  /// summed, as each node counts them (0 without nodes): channels between
  /// nodes plus what the coordinator sent. Counts everything a node read in
  /// that time, other jobs' traffic too; a node lost during the run is left out.
  uint64_t bytes_read_by_nodes = 0;
  /// Whether the job succeeded (a job stopped with a savepoint did).
  bool ok() const noexcept { return !failure; }
};

/// Where a job is assembled and run. Not thread-safe; move-only handle to
/// the job graph being built.
class environment {
public:
  /// An empty job with default options.
  environment();

  /// Default parallelism of operators that do not set their own (>= 1).
  environment& set_parallelism(uint32_t p);
  /// Key groups of keyed operators: the largest parallelism a keyed operator
  /// may ever have (default 128).
  environment& set_max_parallelism(uint32_t p);
  /// Chaining runs a forward-connected operator in its input's task (one actor,
  /// no serialization between them). Off by default: every operator subtask is
  /// its own actor.
  environment& set_chaining(bool on);
  /// The job's own version ("2.1"), written into every savepoint it takes
  /// (weir savepoint inspect shows it); not checked on restore.
  environment& set_job_version(std::string version);
  /// How the runtime runs the job; set before execute().
  runtime_options& options() noexcept { return options_; }
  /// How the runtime runs the job.
  const runtime_options& options() const noexcept { return options_; }

  /// The elements of `values`, split round robin over the source's subtasks.
  template <class T>
  stream<T> from_collection(std::vector<T> values);

  /// `count` records fn(0) .. fn(count - 1); subtask i of p makes the indices
  /// i, i + p, ... so any parallelism yields the same records.
  template <class F>
  auto generate(uint64_t count, F fn);

  /// The lines of a text file (without line terminators), split into byte
  /// ranges over the source's subtasks. A file that cannot be read fails the
  /// job with an error naming it.
  stream<std::string> read_text_file(std::string path);

  /// A user-defined source; `factory` makes one instance per subtask.
  template <class T>
  stream<T> add_source(source_factory<T> factory, std::string name = "source");

  /// Runs the job to completion in this process (or on options().nodes) and
  /// returns its outcome. Blocks the caller. Defined by the runtime library
  /// (weir_actors): link it to call this.
  job_result execute(const std::string& job_name);

  /// A dry run of starting this job from options().checkpoints.from_savepoint:
  /// maps the savepoint's state to the operators by uid and restores every
  /// task from it (field types, rescaling, damage), without running anything
  /// or changing the state dir. Returns the mapping, one line per operator
  /// (restored, rescaled from p, new, left behind); the error the run would
  /// meet otherwise. The job must not be running on the state dir.
  expected<std::string> check_savepoint(const std::string& job_name);

  /// The graph built so far. Runtime SPI.
  const detail::job_graph& graph() const noexcept { return *graph_; }
  /// The graph built so far, to add to. Runtime SPI.
  detail::job_graph& graph() noexcept { return *graph_; }

private:
  std::shared_ptr<detail::job_graph> graph_;
  runtime_options options_;
};

namespace detail {

/// How records of type In cross a channel (unkeyed; keyed inputs replace make_writer).
template <class In>
void set_input_io(vertex_input& in) {
  in.make_writer = [](std::vector<output_channel*> chans, partitioning mode,
                      const subtask_info& producer) -> std::unique_ptr<part> {
    auto no_hash = [](const In&) -> uint64_t { return 0; };
    return std::make_unique<edge_writer<In, decltype(no_hash)>>(
      std::move(chans), mode, no_hash, producer.max_parallelism, producer.index);
  };
  in.make_reader = [](erased_collector head) -> std::unique_ptr<batch_reader> {
    return std::make_unique<typed_batch_reader<In>>(head.as<In>());
  };
}

template <class Out>
std::function<std::unique_ptr<part>(std::vector<erased_collector>)> fanout_factory() {
  return [](std::vector<erased_collector> outs) -> std::unique_ptr<part> {
    std::vector<collector<Out>*> typed;
    for (auto& o : outs) typed.push_back(o.as<Out>());
    return std::make_unique<fanout_part<Out>>(std::move(typed));
  };
}

template <class Out>
void set_output_fanout(vertex& n) {
  n.make_fanout = fanout_factory<Out>();
}

/// The producer side of a keyed edge: partitions by hash of key_fn(record).
template <class T, class KeyFn>
auto keyed_writer_factory(KeyFn key_fn) {
  return [key_fn](std::vector<output_channel*> chans, partitioning mode,
                  const subtask_info& producer) -> std::unique_ptr<part> {
    auto hash = [key_fn](const T& v) -> uint64_t { return key_hash(key_fn(v)); };
    return std::make_unique<edge_writer<T, decltype(hash)>>(std::move(chans), mode, hash,
                                                            producer.max_parallelism, producer.index);
  };
}

/// Appends a node to the graph and returns its id.
int add_vertex(job_graph& g, vertex n);

} // namespace detail

/// A named sink in the graph, to set its uid and parallelism.
class sink_ref {
public:
  /// Runtime SPI: the sink node `vertex` of `env`'s graph.
  sink_ref(environment* env, int vertex) : env_(env), vertex_(vertex) {}
  /// Sets the sink's stable unique id, as stream::uid does; throws
  /// std::invalid_argument if `id` is empty.
  sink_ref& uid(std::string id);
  /// The sink's number of subtasks; 0 takes the environment's default.
  sink_ref& parallelism(uint32_t p);

private:
  environment* env_;
  int vertex_;
};

/// A stream of records of type T: the output of one operator. A cheap handle;
/// copying it does not copy records. Using one stream as the input of several
/// operators sends every record to each of them.
template <class T>
class stream {
public:
  static_assert(std::is_default_constructible_v<T> && std::is_copy_constructible_v<T>,
                "weir: record types must be default- and copy-constructible");
  static_assert(has_codec_v<T>,
                "weir: no codec for this record type. Use arithmetic types, std::string, "
                "std::pair, std::tuple or std::vector, or specialize weir::codec<T> with "
                "static encode(const T&, byte_writer&) and static T decode(byte_reader&).");

  /// Runtime SPI: output `port` of node `vertex`; `port` 1 is its side output
  /// (a window's late data).
  stream(environment* env, int vertex, int port = 0) : env_(env), vertex_(vertex), port_(port) {}

  /// Sets the stable unique id that names this operator in errors, metrics,
  /// checkpoints and savepoints. Unset uids default to "<kind>-<n>", which
  /// shift when operators are added: a job that takes or restores a
  /// savepoint must set one on every stateful operator (sources, sinks,
  /// keyed, window and timestamp operators).
  stream& uid(std::string id) {
    if (id.empty()) throw std::invalid_argument("weir: an operator uid is not empty");
    auto& v = own_vertex("uid");
    v.uid = std::move(id);
    v.uid_generated = false;
    return *this;
  }
  /// This operator's number of subtasks; 0 takes the environment's default.
  /// Throws std::logic_error on a side output, as uid() does.
  stream& parallelism(uint32_t p) {
    own_vertex("parallelism").parallelism = p;
    return *this;
  }
  /// Starts a new task at this operator even when chaining is on.
  stream& disable_chaining() {
    own_vertex("disable_chaining").chainable = false;
    return *this;
  }
  /// 0 for an operator's main output, 1 for its side output (late data),
  /// from 2 on its tagged side outputs.
  int port() const noexcept { return port_; }

  /// What this operator's process function wrote with ctx.output(tag, ...)
  /// (Flink's getSideOutput), with the timestamps of the records or timers
  /// that wrote it. Asking twice for a tag gives the same stream; an
  /// operator that never writes to it gives an empty one. Throws
  /// std::logic_error for a tag of this name already read as another type,
  /// or on a side output itself.
  template <class U>
  stream<U> side_output(const output_tag<U>& tag) const {
    if (port_ != 0) throw std::logic_error("weir: side_output(\"" + tag.name + "\") of a side output");
    auto& tagged = env_->graph().vertices[vertex_].tagged_outputs;
    size_t i = 0;
    while (i < tagged.size() && tagged[i].tag != tag.name) ++i;
    if (i == tagged.size()) tagged.push_back({tag.name, &typeid(U), detail::fanout_factory<U>()});
    if (*tagged[i].type != typeid(U))
      throw std::logic_error("weir: side output '" + tag.name + "' is read as two different types");
    return stream<U>(env_, vertex_, detail::first_tag_port + static_cast<int>(i));
  }

  /// Records of the next operator go round robin over its subtasks.
  stream rebalance() const { return with_partitioning(partitioning::rebalance); }
  /// Every record goes to every subtask of the next operator.
  stream broadcast() const { return with_partitioning(partitioning::broadcast); }
  /// This stream as broadcast rules (Flink's broadcast state pattern):
  /// every record reaches every subtask of the operator that connects it,
  /// whose rule function keeps what it wants in the map `state` names. See
  /// stream::connect(broadcast_stream) and keyed_stream::connect.
  template <class BK, class BV>
  broadcast_stream<T, BK, BV> broadcast(const broadcast_state_descriptor<BK, BV>& state) const;
  /// Subtask i feeds subtask i of the next operator (equal parallelism).
  stream forward() const { return with_partitioning(partitioning::forward); }

  /// Gives the records event time: timestamps from the strategy's assigner
  /// (or those they carry) and watermarks from its generator, which replace
  /// any watermarks from upstream.
  stream<T> assign_timestamps_and_watermarks(watermark_strategy<T> strategy) {
    return child<T>("timestamps", [strategy](const subtask_info& info, const detail::part_outputs& out) {
      return std::make_unique<detail::timestamps_part<T>>(info, strategy, out.main.as<T>());
    }, true);
  }

  /// fn: (const T&) -> R, one output per input.
  template <class F>
  auto map(F fn) {
    constexpr bool callable = std::is_invocable_v<F&, const T&>;
    static_assert(callable,
                  "weir: map expects a function callable as fn(const T&) returning the new record");
    // Each check guards the code after it, so a wrong function gives one error, not a cascade.
    if constexpr (callable) {
      using R = std::decay_t<std::invoke_result_t<F&, const T&>>;
      static_assert(!std::is_void_v<R>, "weir: a map function must return the new record");
      if constexpr (!std::is_void_v<R>)
        return child<R>("map", [fn](const subtask_info& info, const detail::part_outputs& out) {
          return std::make_unique<detail::map_part<T, R, F>>(info, fn, out.main.as<R>());
        });
      else
        return *this;
    } else {
      return *this;
    }
  }

  /// fn: (const T&) -> bool, keeps the records for which it returns true.
  template <class F>
  stream<T> filter(F fn) {
    constexpr bool predicate = std::is_invocable_r_v<bool, F&, const T&>;
    static_assert(predicate, "weir: filter expects a predicate callable as fn(const T&) -> bool");
    if constexpr (predicate)
      return child<T>("filter", [fn](const subtask_info& info, const detail::part_outputs& out) {
        return std::make_unique<detail::filter_part<T, F>>(info, fn, out.main.as<T>());
      });
    else
      return *this;
  }

  /// fn: (const T&, emitter<R>&), emits zero or more records per input. R is
  /// deduced from the emitter parameter, or given: flat_map<R>(generic_lambda).
  template <class R = void, class F>
  auto flat_map(F fn) {
    using Out = std::conditional_t<std::is_void_v<R>, typename detail::flat_map_output<F>::type, R>;
    constexpr bool deduced = !std::is_void_v<Out>;
    static_assert(deduced,
                  "weir: flat_map expects fn(const T&, weir::emitter<R>&); for a generic lambda "
                  "name the output type: flat_map<R>(fn)");
    if constexpr (deduced) {
      constexpr bool callable = std::is_invocable_v<F&, const T&, emitter<Out>&>;
      static_assert(callable,
                    "weir: flat_map expects a function callable as fn(const T&, weir::emitter<R>&)");
      if constexpr (callable)
        return child<Out>("flat_map", [fn](const subtask_info& info, const detail::part_outputs& out) {
          return std::make_unique<detail::flat_map_part<T, Out, F>>(info, fn, out.main.as<Out>());
        });
      else
        return *this;
    } else {
      return *this;
    }
  }

  /// Async I/O (Flink's AsyncDataStream): fn(const T&) -> std::future<R>
  /// starts a request per record (to a database, a web service) and the
  /// operator passes each result on with its input's timestamp, keeping up
  /// to options.capacity requests in flight per subtask (at capacity it
  /// takes no more input: backpressure). Results go on in input order
  /// (options.ordered) or as they complete, never across a watermark. A
  /// request that takes longer than options.timeout fails the job, naming
  /// the operator; an exception from the future fails it too. Requests not
  /// passed on are in checkpoints (their inputs) and issued again after a
  /// restore, also at another parallelism: fn must be safe to call twice
  /// for a record (a lookup, an idempotent write). The future is polled
  /// (options.poll_interval); one from std::async blocks in its destructor
  /// until its task ends (a timed-out request, a cancelled job): prefer a
  /// promise fulfilled by your client's own threads. Not chained: it heads
  /// its task, which stops reading input while it is full. Needs a uid for
  /// savepoints.
  template <class F>
  auto async_map(F fn, async_options options = {}) {
    return add_async(std::move(fn), detail::async_timeout_fails{}, options);
  }
  /// As async_map(fn, options), a timed-out request's result being
  /// on_timeout(const T&) -> R (a default, a marker) instead of a failure.
  template <class F, class G>
  auto async_map(F fn, async_options options, G on_timeout) {
    static_assert(std::is_invocable_v<G&, const T&>, "weir: async_map's on_timeout is fn(const T&) -> R");
    return add_async(std::move(fn), std::move(on_timeout), options);
  }

  /// A process function without keys (Flink's ProcessFunction):
  /// fn(const T&, process_context&, emitter<R>&) per record, emitting any
  /// number of records with its timestamp and writing side outputs through
  /// ctx.output(tag, value). R is deduced from the emitter, or given:
  /// process<R>(fn). No state; chained like map.
  template <class R = void, class F>
  auto process(F fn) {
    using Out = std::conditional_t<std::is_void_v<R>, typename detail::interval_output<F>::type, R>;
    static_assert(!std::is_void_v<Out>, "weir: process expects fn(const T&, weir::process_context&, "
                                        "weir::emitter<R>&); for a generic lambda name R: process<R>(fn)");
    if constexpr (!std::is_void_v<Out>) {
      static_assert(std::is_invocable_v<F&, const T&, process_context&, emitter<Out>&>,
                    "weir: process expects fn(const T&, weir::process_context&, weir::emitter<R>&)");
      return child<Out>("process", [fn](const subtask_info& info, const detail::part_outputs& out) {
        return std::make_unique<detail::process_part<T, Out, F>>(info, fn, out.main.as<Out>(),
                                                                 detail::side_outputs(out.tagged));
      });
    } else {
      return *this;
    }
  }

  /// Partitions by key: fn: (const T&) -> K, K hashable (integral, string, or
  /// any type with a codec) and equality-comparable.
  template <class F>
  auto key_by(F fn) const {
    constexpr bool callable = std::is_invocable_v<F&, const T&>;
    static_assert(callable,
                  "weir: key_by expects a key selector callable as fn(const T&) returning the key");
    if constexpr (callable) {
      using K = std::decay_t<std::invoke_result_t<F&, const T&>>;
      static_assert(has_codec_v<K>, "weir: a key type needs a weir::codec (keys are hashed by their "
                                    "bytes and stored in checkpoints): use integers, strings, pairs "
                                    "or tuples of them, or specialize weir::codec<K>");
      return keyed_stream<T, K, F>(env_, vertex_, std::move(fn), port_);
    } else {
      return keyed_stream<T, int, F>(env_, vertex_, std::move(fn), port_);
    }
  }

  /// The records of this stream and of every one of `others`, as one stream
  /// (Flink's union): each record once per time it is named, with its
  /// timestamp; the watermark is the least of the inputs' (an idle input
  /// is left out). The union is an operator of its own ("union"), not
  /// stateful and not chained; each input reaches it forward when its
  /// parallelism is the union's, else round robin. Throws
  /// std::invalid_argument for a stream of another environment.
  template <class... S>
  stream<T> union_with(const stream<T>& first, const S&... others) {
    return union_with(std::vector<stream<T>>{first, others...});
  }
  /// As union_with(first, others...), for a list made at run time.
  stream<T> union_with(const std::vector<stream<T>>& others) {
    detail::vertex n;
    n.name = "union";
    n.stateful = false;
    n.chainable = false;
    n.make_part = [](const subtask_info&, const detail::part_outputs& out) {
      return std::make_unique<detail::union_part<T>>(out.main.as<T>());
    };
    detail::set_output_fanout<T>(n);
    for (const auto& s : others) {
      if (s.env() != env_) throw std::invalid_argument("weir: union_with a stream of another environment");
      n.inputs.push_back(s.as_input());
    }
    return stream<T>(env_, attach(std::move(n)));
  }

  /// Processes this stream together with `other`: connect(other).key_by(ka, kb).process(...),
  /// or without keys connect(other).map(f1, f2) / .flat_map(f1, f2).
  template <class B>
  connected_streams<T, B> connect(stream<B> other) const;
  /// Processes this stream with broadcast rules: connect(rules).process(on_event, on_rule).
  template <class B, class BK, class BV>
  broadcast_connected_streams<T, B, BK, BV> connect(const broadcast_stream<B, BK, BV>& rules) const;

  /// A windowed join with `other`: join(other).where(ka).equal_to(kb).window(w).apply(fn).
  template <class B>
  join_builder<T, B, detail::no_key, detail::no_key> join(stream<B> other) const;

  /// Sends every record to `sink`, made once per subtask.
  sink_ref sink(sink_factory<T> factory) {
    detail::vertex n;
    n.name = "sink";
    n.kind = detail::vertex_kind::sink;
    n.make_part = [factory](const subtask_info& info, const detail::part_outputs&) {
      return std::make_unique<detail::sink_part<T>>(info, factory());
    };
    return sink_ref(env_, attach(std::move(n)));
  }

  /// Writes records into event-time partitions (see partitioned_file_sink).
  /// The edge is a rebalance unless this stream chose hash or broadcast: a
  /// subtask commits a partition on the watermark of every upstream subtask.
  sink_ref sink(partitioned_sink<T> files) {
    if (partitioned_ && partitioning_ == partitioning::forward)
      throw std::logic_error("weir: a partitioned file sink needs every upstream subtask's watermark; "
                             "use rebalance(), a keyed stream or broadcast(), not forward()");
    return (partitioned_ ? *this : rebalance()).sink(std::move(files.factory));
  }

  /// Runtime SPI: appends a consumer node of this stream and returns its id.
  int attach(detail::vertex n, partitioning mode = partitioning::forward,
             bool mode_set = false) const {
    n.inputs.push_back(as_input(mode, mode_set));
    return detail::add_vertex(env_->graph(), std::move(n));
  }

  /// Runtime SPI: this stream as an input of a new node.
  detail::vertex_input as_input(partitioning mode = partitioning::forward, bool mode_set = false) const {
    detail::vertex_input in;
    in.vertex = vertex_;
    in.port = port_;
    in.mode = partitioned_ ? partitioning_ : mode;
    in.mode_set = partitioned_ || mode_set;
    detail::set_input_io<T>(in);
    return in;
  }

  /// Runtime SPI: the environment whose graph holds this stream.
  environment* env() const noexcept { return env_; }
  /// Runtime SPI: the id of the node this stream is an output of.
  int vertex_id() const noexcept { return vertex_; }

private:
  template <class R, class Make>
  stream<R> child(const char* name, Make make, bool stateful = false) {
    detail::vertex n;
    n.name = name;
    n.stateful = stateful;
    n.make_part = std::move(make);
    detail::set_output_fanout<R>(n);
    return stream<R>(env_, attach(std::move(n)));
  }

  template <class F, class G>
  auto add_async(F fn, G on_timeout, async_options options) {
    static_assert(std::is_invocable_v<F&, const T&>, "weir: async_map expects fn(const T&) -> std::future<R>");
    using Future = std::decay_t<std::invoke_result_t<F&, const T&>>;
    static_assert(detail::is_future<Future>::value, "weir: async_map expects fn(const T&) -> std::future<R>");
    using R = typename detail::is_future<Future>::value_type;
    if constexpr (!std::is_same_v<G, detail::async_timeout_fails>)
      static_assert(std::is_convertible_v<std::invoke_result_t<G&, const T&>, R>,
                    "weir: async_map's on_timeout must return the future's type R");
    if (options.capacity == 0) throw std::invalid_argument("weir: async_map needs a capacity of at least 1");
    if (options.timeout.count() <= 0) throw std::invalid_argument("weir: async_map needs a positive timeout");
    if (options.poll_interval.count() <= 0)
      throw std::invalid_argument("weir: async_map needs a poll interval of at least 1 ms");
    detail::vertex n;
    n.name = "async_map";
    n.chainable = false; // heads its task, so the task can stop feeding it when full
    n.make_part = [fn, on_timeout, options](const subtask_info& info, const detail::part_outputs& out) {
      return std::make_unique<detail::async_part<T, R, F, G>>(info, fn, on_timeout, options, out.main.as<R>());
    };
    detail::set_output_fanout<R>(n);
    return stream<R>(env_, attach(std::move(n)));
  }

  stream with_partitioning(partitioning p) const {
    stream s = *this;
    s.partitioned_ = true;
    s.partitioning_ = p;
    return s;
  }

  // The node this stream's settings apply to. A side output (late data) is no
  // operator of its own: setting its uid would rename the window operator.
  detail::vertex& own_vertex(const char* setting) {
    if (port_ != 0)
      throw std::logic_error(std::string("weir: ") + setting + " on a side output (late_data()) would "
                             "change the window operator; set it on the operator that consumes it");
    return env_->graph().vertices[vertex_];
  }

  environment* env_;
  int vertex_;
  int port_ = 0;
  bool partitioned_ = false;
  partitioning partitioning_ = partitioning::forward;
};

} // namespace weir

#include "weir/detail/keyed_stream.hpp"
#include "weir/detail/sources.hpp"
#include "weir/detail/windowed_stream.hpp"
#include "weir/detail/connected_streams.hpp"
#include "weir/detail/broadcast_streams.hpp"
#include "weir/detail/count_windows.hpp"
#include "weir/detail/global_windows.hpp"
