#pragma once

// Which node runs each remote task: slot sharing over the nodes' slots.
// Private to actors/ and nodes/.

#include <vector>

#include "supervisor.hpp"
#include "weir/error.hpp"

namespace weir::runtime {

/// Sets `where.node_of_task` for the tasks `where.remote` marks, over the
/// nodes `usable` allows with `where.slots` each: slot i of the job holds
/// subtask i of every operator (forward-connected subtasks stay together),
/// and the job's slots go round robin over the nodes (an operator's subtasks
/// spread). errc::bad_argument, naming what each usable node offers, when
/// the job's widest remote operator has more subtasks than there are slots.
error assign_slots(placement& where, const detail::physical_plan& plan, const std::vector<bool>& usable);

/// "node A (2 slots): t, u; node B ...; this process: v", for logs.
std::string describe_placement(const placement& where, const deployment& dep);

} // namespace weir::runtime
