#pragma once

// Where a coordinator runs each task: connecting to the nodes, checking they
// run the same build of the job, and placing subtasks on their slots.
// Private to nodes/.

#include <caf/fwd.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "messages.hpp"
#include "supervisor.hpp"
#include "weir/error.hpp"

namespace weir::nodes {

/// Connects to `dep.options.nodes`, asks each to rebuild the job and refuses
/// one whose Weir version or job build differs from this process's (naming
/// both sides), then places the tasks that run remotely (every task, or
/// those of `remote_uids`) with slot sharing: slot i of the job holds
/// subtask i of every operator, so forward-connected subtasks stay together,
/// and the job's slots go round robin over the nodes, so the subtasks of
/// one operator spread. Says the placement through dep.options.log_events. Without nodes,
/// everything is local. Errors: errc::unreachable (a node), errc::bad_argument
/// (not a registered job, an unknown uid, too few slots, a mismatch).
expected<runtime::placement> place_on_nodes(caf::actor_system& sys, const runtime::deployment& dep);

/// The bytes each of `nodes` read from the network so far; nothing for one
/// that does not answer within 2 s.
std::vector<std::optional<uint64_t>> bytes_read_by(caf::actor_system& sys,
                                                   const std::vector<caf::actor>& nodes);

/// What a node answered to a join: its slots, or why this coordinator
/// cannot use it (another Weir version or job build, no slot, a smaller
/// message cap than this coordinator's), naming the node and both sides.
expected<uint32_t> check_node_info(const runtime::node_info& info, const std::string& address,
                                   const runtime::deployment& dep, const runtime::placement& where);
/// A join request that failed (the node could not rebuild the job).
error cannot_join(caf::actor_system& sys, const caf::error& err, const std::string& address,
                  const runtime::placement& where);

/// The actor that brings a lost node of `where` back for the supervisor
/// (see runtime::supervision::rejoiner): it connects, checks the build as
/// place_on_nodes does, and connects the node to the peers it is given,
/// all without blocking, so it stops at once when told to (rejoiner.cpp).
caf::actor spawn_rejoiner(caf::actor_system& sys, std::shared_ptr<const runtime::deployment> dep,
                          runtime::placement where);

} // namespace weir::nodes
