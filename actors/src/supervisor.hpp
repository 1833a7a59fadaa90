#pragma once

#include <caf/fwd.hpp>

#include <memory>
#include <string>
#include <vector>

#include "task_actor.hpp"

namespace weir::runtime {

/// Where a task runs: locally (node < 0) or on nodes[node].
struct placement {
  std::vector<caf::actor> nodes;
  std::vector<int> node_of_task;
  std::string job;               ///< Registered job name (remote tasks only).
  std::vector<std::string> args; ///< Its arguments, key/value flattened.
};

/// Spawns the supervisor of one job run. It answers one (run_atom) request
/// with a std::vector<task_report> once every task finished, or with a
/// caf::error (context: errc code and message) as soon as one fails; then it
/// stops every task and quits.
caf::actor spawn_supervisor(caf::actor_system& sys, std::shared_ptr<const deployment> dep,
                            placement where);

} // namespace weir::runtime
