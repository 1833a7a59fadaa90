#pragma once

#include <caf/fwd.hpp>

#include <string>

namespace weir::nodes {

/// Spawns the actor a node publishes. It answers
/// (deploy_atom, deploy_request, supervisor) with the spawned task's actor,
/// or with an error when the job is unknown or its plan does not build.
/// `name` ("host:port") prefixes its error messages.
caf::actor spawn_node_actor(caf::actor_system& sys, std::string name);

} // namespace weir::nodes
