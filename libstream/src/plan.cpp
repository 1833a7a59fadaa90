#include "weir/detail/plan.hpp"

#include <set>

namespace weir::detail {

namespace {

error bad(std::string what) {
  return error{errc::bad_argument, std::move(what)};
}

error resolve(const job_graph& g, physical_plan& plan) {
  std::set<std::string> uids;
  for (const auto& n : g.vertices) {
    if (!uids.insert(n.uid).second) return bad("operator uid '" + n.uid + "' is used twice");
    if (n.kind != vertex_kind::sink && n.consumers.empty())
      return bad("operator '" + n.uid + "' has no consumer: end every stream in a sink");
    uint32_t p = n.parallelism == 0 ? g.default_parallelism : n.parallelism;
    if (p > g.max_parallelism)
      return bad("operator '" + n.uid + "' has parallelism " + std::to_string(p)
                 + " above max parallelism " + std::to_string(g.max_parallelism));
    plan.vertex_parallelism.push_back(p);
    plan.input_mode.emplace_back();
    for (const auto& in : n.inputs) {
      partitioning mode = in.mode;
      uint32_t from = plan.vertex_parallelism[in.vertex];
      if (mode == partitioning::forward && p != from) {
        if (in.mode_set)
          return bad("operator '" + n.uid + "' has a forward input from '" + g.vertices[in.vertex].uid
                     + "' but their parallelisms differ (" + std::to_string(from) + " vs "
                     + std::to_string(p) + ")");
        mode = partitioning::rebalance;
      }
      plan.input_mode.back().push_back(mode);
    }
  }
  return {};
}

bool chains_to_input(const job_graph& g, const physical_plan& plan, const vertex& n) {
  // Only single-input operators chain, and only to the main output of an
  // operator that feeds nothing else.
  return g.chaining && n.chainable && n.inputs.size() == 1 && n.inputs[0].port == 0
         && g.vertices[n.inputs[0].vertex].consumers.size() == 1
         && plan.input_mode[n.id][0] == partitioning::forward
         && plan.vertex_parallelism[n.id] == plan.vertex_parallelism[n.inputs[0].vertex];
}

void build_chains(const job_graph& g, physical_plan& plan, std::vector<int>& chain_of) {
  chain_of.assign(g.vertices.size(), -1);
  // Nodes are appended after their input, so one pass in id order sees inputs first.
  for (const auto& n : g.vertices) {
    if (chains_to_input(g, plan, n)) {
      chain_of[n.id] = chain_of[n.inputs[0].vertex];
      plan.chains[chain_of[n.id]].vertices.push_back(n.id);
    } else {
      chain_of[n.id] = static_cast<int>(plan.chains.size());
      plan.chains.push_back({{n.id}, plan.vertex_parallelism[n.id], 0});
    }
  }
  uint32_t next = 0;
  for (auto& c : plan.chains) {
    c.first_task = next;
    next += c.parallelism;
    for (uint32_t s = 0; s < c.parallelism; ++s)
      plan.tasks.push_back({static_cast<int>(&c - plan.chains.data()), s, {}, {}, 0, 0, {}});
  }
}

void build_channels(const job_graph& g, physical_plan& plan, const std::vector<int>& chain_of) {
  for (size_t ci = 0; ci < plan.chains.size(); ++ci) {
    const vertex& last = g.vertices[plan.chains[ci].vertices.back()];
    for (const auto& c : last.consumers) {
      if (chain_of[c.vertex] == static_cast<int>(ci)) continue; // chained, not an edge
      plan.edges.push_back({static_cast<int>(ci), chain_of[c.vertex], c.vertex, c.input,
                            g.vertices[c.vertex].inputs[c.input].port, plan.input_mode[c.vertex][c.input]});
    }
  }
  for (size_t e = 0; e < plan.edges.size(); ++e) {
    const auto& edge = plan.edges[e];
    const auto& prod = plan.chains[edge.producer_chain];
    const auto& cons = plan.chains[edge.consumer_chain];
    for (uint32_t ps = 0; ps < prod.parallelism; ++ps) {
      auto& ptask = plan.tasks[prod.first_task + ps];
      ptask.out_edges.emplace_back();
      ptask.out_edge_ids.push_back(static_cast<int>(e));
      bool forward = edge.mode == partitioning::forward;
      for (uint32_t cs = 0; cs < cons.parallelism; ++cs) {
        if (forward && cs != ps) continue;
        auto& ctask = plan.tasks[cons.first_task + cs];
        channel_spec ch{prod.first_task + ps, 0, cons.first_task + cs, ctask.num_inputs++};
        ctask.channel_input.push_back(static_cast<uint8_t>(edge.consumer_input));
        ch.out_channel = ptask.num_outputs++;
        ptask.out_edges.back().push_back(ch.out_channel);
        plan.channels.push_back(ch);
      }
    }
  }
}

} // namespace

expected<physical_plan> make_plan(const job_graph& g) {
  physical_plan plan;
  plan.max_parallelism = g.max_parallelism;
  if (g.vertices.empty()) return bad("the job has no operators");
  if (auto err = resolve(g, plan)) return err;
  std::vector<int> chain_of;
  build_chains(g, plan, chain_of);
  build_channels(g, plan, chain_of);
  return plan;
}

std::string physical_plan::task_name(const job_graph& g, uint32_t task) const {
  const auto& t = tasks[task];
  const auto& c = chains[t.chain];
  std::string uids;
  for (int n : c.vertices) uids += (uids.empty() ? "" : "->") + g.vertices[n].uid;
  return uids + "[" + std::to_string(t.subtask) + "/" + std::to_string(c.parallelism) + "]";
}

subtask_info physical_plan::info(const job_graph& g, int vertex, uint32_t subtask) const {
  subtask_info info;
  info.uid = g.vertices[vertex].uid;
  info.index = subtask;
  info.parallelism = vertex_parallelism[vertex];
  info.max_parallelism = max_parallelism;
  info.key_groups = key_group_range_for_subtask(subtask, max_parallelism, info.parallelism);
  return info;
}

error check_savepoint_uids(const job_graph& g) {
  std::string uids;
  for (const auto& v : g.vertices)
    if (v.stateful && v.uid_generated) uids += (uids.empty() ? "'" : ", '") + v.uid + "' (" + v.name + ")";
  if (uids.empty()) return {};
  return {errc::bad_argument, "job '" + g.name + "' relies on generated uids for stateful operators: " + uids
                                + "; a savepoint maps state by uid, so give each one with .uid(\"...\")"};
}

} // namespace weir::detail
