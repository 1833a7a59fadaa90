#pragma once

// The messages task actors, supervisors and nodes exchange. CAF translation
// units only: keep this header out of anything widely included.

#include <caf/all.hpp>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "checkpoint_coordinator.hpp"
#include "weir/options.hpp"

namespace weir::runtime {

using frame_atom = caf::atom_constant<caf::atom("frame")>;
using credit_atom = caf::atom_constant<caf::atom("credit")>;
using resume_atom = caf::atom_constant<caf::atom("resume")>;
using flush_atom = caf::atom_constant<caf::atom("flush")>;
using wire_atom = caf::atom_constant<caf::atom("wire")>;
using start_atom = caf::atom_constant<caf::atom("start")>;
using done_atom = caf::atom_constant<caf::atom("done")>;
using failed_atom = caf::atom_constant<caf::atom("failed")>;
using deploy_atom = caf::atom_constant<caf::atom("deploy")>;
using run_atom = caf::atom_constant<caf::atom("run")>;
using ack_atom = caf::atom_constant<caf::atom("ack")>;
using timer_atom = caf::atom_constant<caf::atom("timer")>;
using timeout_atom = caf::atom_constant<caf::atom("timeout")>;
using checkpoint_atom = caf::atom_constant<caf::atom("ckpt")>;
using restore_atom = caf::atom_constant<caf::atom("restore")>;
using trigger_atom = caf::atom_constant<caf::atom("trigger")>;
using abort_atom = caf::atom_constant<caf::atom("abort")>;
using complete_atom = caf::atom_constant<caf::atom("complete")>;
using committed_atom = caf::atom_constant<caf::atom("committed")>;
using restart_atom = caf::atom_constant<caf::atom("restart")>;
using store_atom = caf::atom_constant<caf::atom("store")>;
using manifest_atom = caf::atom_constant<caf::atom("manifest")>;
using load_atom = caf::atom_constant<caf::atom("load")>;
using finish_atom = caf::atom_constant<caf::atom("finish")>;
using status_atom = caf::atom_constant<caf::atom("status")>;
using cancel_atom = caf::atom_constant<caf::atom("cancel")>;
using control_atom = caf::atom_constant<caf::atom("control")>;
using savepoint_atom = caf::atom_constant<caf::atom("savepoint")>;
using stop_atom = caf::atom_constant<caf::atom("stop")>;
using query_atom = caf::atom_constant<caf::atom("query")>;
using join_atom = caf::atom_constant<caf::atom("join")>;
using peers_atom = caf::atom_constant<caf::atom("peers")>;
using rejoin_atom = caf::atom_constant<caf::atom("rejoin")>;
using part_atom = caf::atom_constant<caf::atom("part")>;
using metrics_atom = caf::atom_constant<caf::atom("metrics")>;

/// One end of a channel: the actor and its channel index (out channel at a producer,
/// in channel at a consumer).
struct endpoint {
  caf::actor actor;
  uint32_t channel = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, endpoint& x) {
  return f(caf::meta::type_name("weir.endpoint"), x.actor, x.channel);
}

/// The parts of runtime_options a remote node needs to run a task.
struct wire_options {
  uint64_t batch_size = 0;
  uint64_t max_batch_bytes = 0;
  uint32_t credit_window = 0;
  uint32_t buffer_timeout_ms = 0;
  uint64_t records_per_turn = 0;
  uint32_t idle_poll_ms = 0;
  uint64_t max_message_bytes = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, wire_options& x) {
  return f(caf::meta::type_name("weir.wire_options"), x.batch_size, x.max_batch_bytes,
           x.credit_window, x.buffer_timeout_ms, x.records_per_turn, x.idle_poll_ms, x.max_message_bytes);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, checkpoint_summary& x) {
  return f(caf::meta::type_name("weir.checkpoint_summary"), x.id, x.started_ms, x.duration_ms,
           x.alignment_us, x.bytes, x.final, x.savepoint, x.savepoint_version);
}

/// How many bytes of state one message may carry between processes: an
/// eighth of the largest message a process reads (runtime_options::max_message_bytes).
inline size_t state_part_bytes(const runtime_options& o) { return std::max<size_t>(1, o.max_message_bytes / 8); }

/// `snapshot` cut into consecutive groups of chunks of at most `part_bytes`
/// each (a chunk larger than that is a group of its own); at least one group.
/// All but the last travel as (checkpoint_atom, part_atom, id, chunks)
/// ahead of the message that carries the last.
std::vector<snapshot_chunks> message_parts(snapshot_chunks snapshot, size_t part_bytes);

wire_options to_wire(const runtime_options& o);
runtime_options from_wire(const wire_options& w);

/// What a node needs to instantiate one task of a registered job.
struct deploy_request {
  std::string job;
  std::vector<std::string> args; ///< key, value, key, value, ...
  wire_options options;
  uint32_t task = 0;
  /// Graph settings made outside the job's builder, applied by the node too.
  bool chaining = false;
  uint32_t max_parallelism = 0;
  uint32_t default_parallelism = 0;
  /// The task's name in the coordinator's plan: the node checks its own plan agrees.
  std::string task_name;
  uint64_t run_id = 0;
  bool checkpointing = false;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, deploy_request& x) {
  return f(caf::meta::type_name("weir.deploy_request"), x.job, x.args, x.options, x.task,
           x.chaining, x.max_parallelism, x.default_parallelism, x.task_name, x.run_id,
           x.checkpointing);
}

/// What a node answers a coordinator's (join_atom, deploy_request): the
/// build it runs and the job as it builds it, so a mismatch is refused before
/// any task is placed, and how many slots it offers.
struct node_info {
  std::string weir_version;
  std::string fingerprint; ///< build_fingerprint of the job it rebuilt.
  uint32_t slots = 0;
  uint64_t max_message_bytes = 0; ///< The largest message the node reads.
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, node_info& x) {
  return f(caf::meta::type_name("weir.node_info"), x.weir_version, x.fingerprint, x.slots, x.max_message_bytes);
}

/// A running task's live figures, as it answers (status_atom): what
/// `weir job status` prints and the metrics reporters send.
struct task_status {
  int64_t watermark = INT64_MIN;
  uint64_t records_in = 0;
  uint64_t records_out = 0;
  uint64_t bytes_in = 0;
  uint64_t bytes_out = 0;
  uint64_t late_records = 0;
  uint64_t queued_frames = 0; ///< Input frames received, not yet processed.
  uint64_t credits = 0;       ///< Frames it may still send, over its outputs.
  uint64_t busy_ns = 0;       ///< See task_time.
  uint64_t backpressured_ns = 0;
  uint64_t idle_ns = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, task_status& x) {
  return f(caf::meta::type_name("weir.task_status"), x.watermark, x.records_in, x.records_out, x.bytes_in,
           x.bytes_out, x.late_records, x.queued_frames, x.credits, x.busy_ns, x.backpressured_ns, x.idle_ns);
}

/// A finished task's counters.
struct task_report {
  uint32_t task = 0;
  uint64_t records_in = 0;
  uint64_t records_out = 0;
  uint64_t source_records = 0;
  uint64_t sink_records = 0;
  uint64_t blocked_turns = 0;
  uint64_t late_records = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, task_report& x) {
  return f(caf::meta::type_name("weir.task_report"), x.task, x.records_in, x.records_out,
           x.source_records, x.sink_records, x.blocked_turns, x.late_records);
}

/// What a supervisor answers a run request with once the job succeeded.
struct run_outcome {
  std::vector<task_report> reports;
  uint64_t checkpoints = 0;     ///< Completed in this run.
  uint64_t last_checkpoint = 0; ///< Latest complete, or 0.
  uint32_t restarts = 0;
  std::string stopped_with; ///< Stopped on request after this savepoint ("name@version"); empty: finished.
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, run_outcome& x) {
  return f(caf::meta::type_name("weir.run_outcome"), x.reports, x.checkpoints, x.last_checkpoint, x.restarts,
           x.stopped_with);
}

/// The CAF scheduler threads to run with: `requested`, or if 0 one per core
/// (at least 2).
size_t scheduler_threads(size_t requested);
/// Sets the scheduler's threads (scheduler_threads(threads)) and how long an
/// idle thread polls before it sleeps (runtime_options::scheduler_spin_polls).
void configure_scheduler(caf::actor_system_config& cfg, size_t threads, size_t spin_polls);

/// Registers Weir's message types and options with a CAF config. Every
/// process of a job must call it: a type one side lacks arrives empty.
void register_runtime_types(caf::actor_system_config& cfg);

} // namespace weir::runtime
