#pragma once

#include <caf/fwd.hpp>

#include <cstdint>
#include <string>

namespace weir::nodes {

/// Spawns the actor a node publishes. It answers
/// (join_atom, deploy_request) with a node_info (its Weir version, the job's
/// build fingerprint as this binary builds it, `slots`), and
/// (deploy_atom, deploy_request, supervisor) with the spawned task's actor;
/// either with an error when the job is unknown or its plan does not build.
/// `name` ("host:port") prefixes its error messages.
caf::actor spawn_node_actor(caf::actor_system& sys, std::string name, uint32_t slots);

} // namespace weir::nodes
