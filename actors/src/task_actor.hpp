#pragma once

#include <caf/fwd.hpp>

#include <memory>

#include "weir/detail/plan.hpp"
#include "weir/options.hpp"

namespace weir::runtime {

/// Everything a process needs to instantiate the tasks of one job run.
struct deployment {
  std::shared_ptr<const detail::job_graph> graph;
  detail::physical_plan plan;
  runtime_options options;
  /// Identifies this run of the job (subtask_info::run_id); the same on every node.
  uint64_t run_id = 0;
  /// Whether the job takes checkpoints (sources need positions).
  bool checkpointing = false;
};

/// Spawns the actor for task `task` of `dep`, reporting to `supervisor`.
/// The actor waits for (wire_atom, outputs, inputs) and then start_atom.
caf::actor spawn_task(caf::actor_system& sys, std::shared_ptr<const deployment> dep, uint32_t task,
                      const caf::actor& supervisor);

} // namespace weir::runtime
