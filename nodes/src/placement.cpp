#include "placement.hpp"

#include <caf/io/all.hpp>

#include <algorithm>
#include <chrono>

#include "bounded_middleman.hpp"
#include "messages.hpp"
#include "run_recovery.hpp"
#include "slot_assignment.hpp"
#include "weir/node.hpp"

namespace weir::nodes {

namespace {

/// Connects to the node at `address`, with a deadline.
expected<caf::actor> connect(caf::actor_system& sys, const std::string& address,
                             uint32_t timeout_ms) {
  auto parsed = parse_node_address(address);
  if (!parsed) return parsed.error_value();
  auto node =
      remote_actor(sys, parsed->first, parsed->second, std::chrono::milliseconds(timeout_ms));
  if (node) return *node;
  if (node.error() == caf::sec::request_timeout)
    return error{errc::unreachable, "node " + address + " did not complete the handshake within "
                                        + std::to_string(timeout_ms) + " ms (is it a Weir node?)"};
  if (node.error() == caf::sec::no_actor_published_at_port)
    return error{errc::unreachable, "node " + address + " publishes no Weir node"};
  std::string hint =
      sys.has_openssl_manager() && node.error() == caf::sec::disconnect_during_handshake
          ? " (with TLS: the node must use TLS too, with a certificate signed by this "
            "coordinator's CA, "
            "and trust the CA that signed this coordinator's)"
          : "";
  return error{errc::unreachable,
               "cannot reach node " + address + ": " + sys.render(node.error()) + hint};
}

/// Asks the node to rebuild the job; its slot count, or why it cannot run
/// the job with this coordinator.
expected<uint32_t> join(caf::actor_system& sys, const caf::actor& node, const std::string& address,
                        const runtime::deployment& dep, const runtime::placement& where) {
  auto timeout = std::chrono::milliseconds(dep.options.node_connect_timeout_ms);
  expected<uint32_t> out = error{errc::unreachable, "node " + address + " did not answer within "
                                                        + std::to_string(timeout.count()) + " ms"};
  caf::scoped_actor self{sys};
  self->request(node, timeout, runtime::join_atom::value,
                runtime::deploy_request_for(dep, where, 0))
      .receive([&](runtime::node_info& info) { out = check_node_info(info, address, dep, where); },
               [&](caf::error& err) { out = cannot_join(sys, err, address, where); });
  return out;
}

/// Asks `node` to connect to `peers`, so BASP routes frames between their
/// tasks over those connections instead of through here.
error connect_to_peers(caf::actor_system& sys, const caf::actor& node, const std::string& address,
                       const std::vector<std::string>& peers, uint32_t timeout_ms) {
  if (peers.empty()) return {};
  caf::scoped_actor self{sys};
  error out;
  self->request(node, std::chrono::milliseconds(timeout_ms) + std::chrono::seconds(1),
                runtime::peers_atom::value, peers, timeout_ms)
      .receive([](bool) {},
               [&](caf::error& err) {
                 out = error{errc::unreachable,
                             "node " + address
                                 + " could not connect to the other nodes: " + sys.render(err)};
               });
  return out;
}

/// Node i connects to nodes i+1...: one connection per pair.
error connect_nodes(caf::actor_system& sys, const runtime::placement& where, uint32_t timeout_ms) {
  for (size_t i = 0; i + 1 < where.nodes.size(); ++i) {
    std::vector<std::string> peers(where.addresses.begin() + static_cast<long>(i) + 1,
                                   where.addresses.end());
    if (auto err = connect_to_peers(sys, where.nodes[i], where.addresses[i], peers, timeout_ms))
      return err;
  }
  return {};
}

bool runs_remotely(const detail::job_graph& g, const detail::physical_plan& plan, uint32_t task,
                   const std::vector<std::string>& remote_uids) {
  if (remote_uids.empty()) return true;
  for (int n : plan.chains[plan.tasks[task].chain].vertices)
    if (std::find(remote_uids.begin(), remote_uids.end(), g.vertices[n].uid) != remote_uids.end())
      return true;
  return false;
}

} // namespace

expected<uint32_t> check_node_info(const runtime::node_info& info, const std::string& address,
                                   const runtime::deployment& dep,
                                   const runtime::placement& where) {
  auto mine = runtime::build_fingerprint(*dep.graph, dep.plan);
  if (info.weir_version != runtime::weir_version())
    return error{errc::bad_argument, "node " + address + " runs Weir " + info.weir_version
                                         + " and this coordinator Weir " + runtime::weir_version()
                                         + ": run the same build everywhere"};
  if (info.fingerprint != mine)
    return error{errc::bad_argument,
                 "node " + address + " builds job '" + where.job + "' differently: "
                     + runtime::fingerprint_difference(mine, info.fingerprint,
                                                       "the coordinator has", "the node has")
                     + " (is it the same build of the binary?)"};
  if (info.slots == 0) return error{errc::bad_argument, "node " + address + " offers no slot"};
  if (info.max_message_bytes < dep.options.max_message_bytes)
    return error{errc::bad_argument, "node " + address + " reads messages of at most "
                                         + std::to_string(info.max_message_bytes)
                                         + " bytes, less than this coordinator's "
                                         + std::to_string(dep.options.max_message_bytes)
                                         + ": start it with --max-message-bytes "
                                         + std::to_string(dep.options.max_message_bytes)};
  return info.slots;
}

error cannot_join(caf::actor_system& sys, const caf::error& err, const std::string& address,
                  const runtime::placement& where) {
  return {errc::bad_argument,
          "node " + address + " cannot run job '" + where.job + "': " + sys.render(err)};
}

expected<runtime::placement> place_on_nodes(caf::actor_system& sys,
                                            const runtime::deployment& dep) {
  const auto& g = *dep.graph;
  const auto& o = dep.options;
  runtime::placement where;
  if (o.nodes.empty()) return where;
  if (g.registered_job.empty())
    return error{errc::bad_argument, "running on nodes needs a job from the job registry "
                                     "(weir::register_job), so nodes can rebuild it"};
  for (const auto& uid : o.remote_uids) {
    bool known = std::any_of(g.vertices.begin(), g.vertices.end(),
                             [&](const auto& n) { return n.uid == uid; });
    if (!known) return error{errc::bad_argument, "no operator '" + uid + "' to place on nodes"};
  }
  where.job = g.registered_job;
  for (const auto& kv : g.job_args) {
    where.args.push_back(kv.first);
    where.args.push_back(kv.second);
  }
  for (const auto& address : o.nodes) {
    auto node = connect(sys, address, o.node_connect_timeout_ms);
    if (!node) return node.error_value();
    auto offered = join(sys, *node, address, dep, where);
    if (!offered) return offered.error_value();
    where.nodes.push_back(*node);
    where.addresses.push_back(address);
    where.slots.push_back(*offered);
  }
  if (o.direct_node_channels)
    if (auto err = connect_nodes(sys, where, o.node_connect_timeout_ms)) return err;
  for (uint32_t t = 0; t < dep.plan.tasks.size(); ++t)
    where.remote.push_back(runs_remotely(g, dep.plan, t, o.remote_uids));
  if (auto err =
          runtime::assign_slots(where, dep.plan, std::vector<bool>(where.nodes.size(), true)))
    return error{err.code(), err.message() + ": start the nodes with more --slots, or add nodes"};
  if (const auto& events = dep.options.log_events)
    events({log_level::info, g.name, "", "placement: " + runtime::describe_placement(where, dep),
            wall_clock_ms()});
  return where;
}

std::vector<std::optional<uint64_t>> bytes_read_by(caf::actor_system& sys,
                                                   const std::vector<caf::actor>& nodes) {
  caf::scoped_actor self{sys};
  std::vector<std::optional<uint64_t>> out(nodes.size());
  for (size_t i = 0; i < nodes.size(); ++i) {
    // A lost node's proxy is cleaned up and drops what is sent to it: asking would wait out the
    // timeout.
    if (caf::actor_cast<caf::abstract_actor*>(nodes[i])->getf(
            caf::abstract_actor::is_cleaned_up_flag))
      continue;
    self->request(nodes[i], std::chrono::seconds(2), runtime::status_atom::value)
        .receive([&](uint64_t bytes) { out[i] = bytes; }, [](caf::error&) {});
  }
  return out;
}

} // namespace weir::nodes
