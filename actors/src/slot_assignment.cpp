#include "slot_assignment.hpp"

#include <algorithm>

namespace weir::runtime {

namespace {

/// The node of each of the job's slots: round robin over the usable nodes,
/// each as often as it has slots.
std::vector<int> slots_round_robin(const std::vector<uint32_t>& slots, const std::vector<bool>& usable) {
  std::vector<int> out;
  uint32_t most = slots.empty() ? 0 : *std::max_element(slots.begin(), slots.end());
  for (uint32_t round = 0; round < most; ++round)
    for (size_t n = 0; n < slots.size(); ++n)
      if (usable[n] && round < slots[n]) out.push_back(static_cast<int>(n));
  return out;
}

} // namespace

error assign_slots(placement& where, const detail::physical_plan& plan, const std::vector<bool>& usable) {
  auto slot_node = slots_round_robin(where.slots, usable);
  uint32_t needed = 0;
  for (uint32_t t = 0; t < plan.tasks.size(); ++t)
    if (where.remote[t]) needed = std::max(needed, plan.tasks[t].subtask + 1);
  if (needed > slot_node.size()) {
    std::string offers;
    for (size_t n = 0; n < where.slots.size(); ++n)
      if (usable[n]) offers += (offers.empty() ? "" : ", ") + where.addresses[n] + " " + std::to_string(where.slots[n]);
    return {errc::bad_argument, "the job needs " + std::to_string(needed)
                                  + " slots on nodes (its widest operator placed there runs that many subtasks) but "
                                  + (offers.empty() ? "no node is left"
                                                    : "the nodes offer " + std::to_string(slot_node.size()) + " ("
                                                        + offers + ")")};
  }
  where.node_of_task.assign(plan.tasks.size(), -1);
  for (uint32_t t = 0; t < plan.tasks.size(); ++t)
    if (where.remote[t]) where.node_of_task[t] = slot_node[plan.tasks[t].subtask];
  return {};
}

std::string describe_placement(const placement& where, const deployment& dep) {
  std::string out;
  for (int n = -1; n < static_cast<int>(where.nodes.size()); ++n) {
    std::string tasks;
    for (uint32_t t = 0; t < where.node_of_task.size(); ++t)
      if (where.node_of_task[t] == n) tasks += (tasks.empty() ? "" : ", ") + dep.plan.task_name(*dep.graph, t);
    if (tasks.empty()) continue;
    out += (out.empty() ? "" : "; ")
           + (n < 0 ? std::string("this process: ")
                    : "node " + where.addresses[size_t(n)] + " (" + std::to_string(where.slots[size_t(n)]) + " slots): ")
           + tasks;
  }
  return out;
}

} // namespace weir::runtime
