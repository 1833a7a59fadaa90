#pragma once

#include <caf/fwd.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "weir/log.hpp"

namespace weir::nodes {

/// Spawns the actor a node publishes. It answers
/// (join_atom, deploy_request) with a node_info (its Weir version, the job's
/// build fingerprint as this binary builds it, `slots`), and
/// (deploy_atom, deploy_request, supervisor) with the spawned task's actor;
/// either with an error when the job is unknown or its plan does not build.
/// A job whose input, output or side-input path is relative, or outside
/// `allowed_dirs` when given, is refused naming it.
struct node_settings {
  std::string name;                     ///< "node ADDR (pid N)": prefixes its errors.
  uint32_t slots = 1;                   ///< Told to coordinators (see node_info).
  std::vector<std::string> allowed_dirs; ///< Job paths must lie inside one; empty: anywhere.
  uint64_t max_message_bytes = uint64_t{512} << 20; ///< What its middleman reads at most (told in node_info).
  std::function<void(const log_event&)> log;        ///< What it did (node_options::log_events); never empty.
};
caf::actor spawn_node_actor(caf::actor_system& sys, node_settings settings);

} // namespace weir::nodes
