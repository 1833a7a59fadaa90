// The rejoiner: brings a lost node back for the supervisor, asynchronously
// (connect, join, mesh), so it never blocks a thread and stops at once with
// the run.

#include <caf/io/all.hpp>

#include <chrono>
#include <memory>

#include "bounded_middleman.hpp"
#include "placement.hpp"
#include "weir/node.hpp"

namespace weir::nodes {

namespace {

using rejoin_result = caf::result<caf::actor, uint32_t>;
using rejoin_promise = caf::typed_response_promise<caf::actor, uint32_t>;

caf::error failure(const std::string& message) {
  return caf::make_error(caf::sec::runtime_error, message);
}

/// Asks the connected `node` to connect to `peers`, then answers `rp`.
void mesh(caf::event_based_actor* self, rejoin_promise rp, caf::actor node, uint32_t slots,
          const std::string& address, const std::vector<std::string>& peers, uint32_t timeout_ms) {
  if (peers.empty()) {
    rp.deliver(std::move(node), slots);
    return;
  }
  self->request(node, std::chrono::milliseconds(timeout_ms) + std::chrono::seconds(1),
                runtime::peers_atom::value, peers, timeout_ms)
      .then([rp, node, slots](bool) mutable { rp.deliver(node, slots); },
            [self, rp, address](caf::error& err) mutable {
              rp.deliver(failure("node " + address + " could not connect to the other nodes: "
                                 + self->system().render(err)));
            });
}

// Spawned with arguments: CAF 0.17's spawn without any binds a reference
// to a null shared_ptr (undefined behaviour that UBSan reports).
caf::behavior rejoiner(caf::event_based_actor* self, std::shared_ptr<const runtime::deployment> dep,
                       runtime::placement where) {
  return {
      [self, dep, where](runtime::join_atom, const std::string& address,
                         const std::vector<std::string>& peers) -> rejoin_result {
        auto parsed = parse_node_address(address);
        if (!parsed) return failure(parsed.error_value().message());
        const auto& o = dep->options;
        auto timeout = std::chrono::milliseconds(o.node_connect_timeout_ms);
        auto rp = self->make_response_promise<caf::actor, uint32_t>();
        auto meshed = o.direct_node_channels ? peers : std::vector<std::string>{};
        self->request(connector(self->system()), timeout, caf::connect_atom::value, parsed->first,
                      parsed->second)
            .then(
                [=](const caf::node_id&, caf::strong_actor_ptr& ptr,
                    const std::set<std::string>&) mutable {
                  auto node = caf::actor_cast<caf::actor>(ptr);
                  if (!node) {
                    rp.deliver(failure("node " + address + " publishes no Weir node"));
                    return;
                  }
                  self->request(node, timeout, runtime::join_atom::value,
                                runtime::deploy_request_for(*dep, where, 0))
                      .then(
                          [=](runtime::node_info& info) mutable {
                            auto slots = check_node_info(info, address, *dep, where);
                            if (!slots) {
                              rp.deliver(failure(slots.error_value().message()));
                              return;
                            }
                            mesh(self, rp, node, *slots, address, meshed,
                                 o.node_connect_timeout_ms);
                          },
                          [=](caf::error& err) mutable {
                            rp.deliver(failure(
                                cannot_join(self->system(), err, address, where).message()));
                          });
                },
                [=](caf::error& err) mutable {
                  rp.deliver(
                      failure("cannot reach node " + address + ": " + self->system().render(err)));
                });
        return rp;
      },
  };
}

} // namespace

caf::actor spawn_rejoiner(caf::actor_system& sys, std::shared_ptr<const runtime::deployment> dep,
                          runtime::placement where) {
  return sys.spawn(rejoiner, std::move(dep), std::move(where));
}

} // namespace weir::nodes
