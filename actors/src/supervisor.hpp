#pragma once

#include <caf/actor.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "task_actor.hpp"
#include "weir/metrics.hpp"

namespace weir::runtime {

struct deploy_request; // messages.hpp

/// Where a task runs: locally (node < 0) or on nodes[node].
struct placement {
  std::vector<caf::actor> nodes;
  std::vector<std::string> addresses; ///< "host:port" of each of `nodes`.
  std::vector<uint32_t> slots;        ///< How many slots each of `nodes` offers.
  std::vector<bool> remote;           ///< Per task: placed on a node (see slot_assignment.hpp).
  std::vector<int> node_of_task;
  std::string job;               ///< Registered job name (remote tasks only).
  std::vector<std::string> args; ///< Its arguments, key/value flattened.
};

/// What a node needs to deploy `task` of `dep` (or, for a join, to rebuild
/// the job and compare).
deploy_request deploy_request_for(const deployment& dep, const placement& where, uint32_t task);

/// How a run starts and where its checkpoints go.
struct supervision {
  placement where;
  /// The store actor (see store_actor.hpp); unset without checkpoints.
  caf::actor store;
  /// Complete checkpoints the store holds that must not be restored (found
  /// unreadable before the run). An attempt restores the newest other one,
  /// falling back past those that cannot be read; with none, it starts from
  /// the beginning.
  std::vector<uint64_t> bad_checkpoints;
  /// The id the run's first checkpoint gets.
  uint64_t next_checkpoint = 1;
  /// Brings a lost node back: answers (join_atom, address, peers) with the
  /// node's actor and the slots it offers once it is connected, runs this
  /// job's build and is connected to `peers` (the other nodes up), or with
  /// an error. Unset: a lost node stays lost.
  caf::actor rejoiner;
  /// Given each metrics snapshot (every options.metrics.interval_ms while
  /// tasks run), on the supervisor's thread; must not block. Unset: the
  /// supervisor gathers none.
  std::function<void(const job_metrics&)> on_metrics;
};

/// Spawns the supervisor of one job run. It answers one (run_atom) request
/// with a run_outcome once every task finished and committed, or with a
/// caf::error (context: errc code and message) once the job failed for good.
/// A failed task makes it cancel the attempt and, as the restart strategy
/// allows, start a new one from the latest complete checkpoint. It
/// coordinates checkpoints (checkpoint_coordinator) while tasks run.
caf::actor spawn_supervisor(caf::actor_system& sys, std::shared_ptr<const deployment> dep,
                            supervision how);

} // namespace weir::runtime
