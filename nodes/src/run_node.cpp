#include <caf/io/all.hpp>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <thread>
#include <unistd.h>

#include "bounded_middleman.hpp"
#include "control_endpoint.hpp"
#include "messages.hpp"
#include "node_actor.hpp"
#include "weir/node.hpp"
#include "weir/options.hpp"

namespace weir {

namespace {

bool is_loopback(const std::string& address) {
  return address.rfind("127.", 0) == 0 || address == "::1" || address == "localhost";
}

} // namespace

expected<std::pair<std::string, uint16_t>> parse_node_address(const std::string& address) {
  auto colon = address.rfind(':');
  auto port = colon == std::string::npos ? std::string() : address.substr(colon + 1);
  bool digits = !port.empty() && port.size() <= 5
                && port.find_first_not_of("0123456789") == std::string::npos;
  if (colon == 0 || !digits || std::stoul(port) == 0 || std::stoul(port) > 65535)
    return error{errc::bad_argument,
                 "node address '" + address + "' is not host:port (port 1-65535)"};
  return std::make_pair(address.substr(0, colon), static_cast<uint16_t>(std::stoul(port)));
}

uint32_t node_options::default_slots() {
  return std::max(1u, std::thread::hardware_concurrency());
}

error run_node(const node_options& options) {
  caf::actor_system_config cfg;
  runtime::register_runtime_types(cfg);
  // A node runs tasks of jobs it does not know yet: the default batch's setting.
  runtime::configure_scheduler(cfg, 0, spin_polls_for(runtime_options{}.batch_size));
  nodes::message_limits limits;
  limits.message_bytes = options.max_message_bytes;
  nodes::load_bounded_middleman(cfg, limits, 1000, options.silence_timeout_ms);
  nodes::tls_files tls{options.tls_certificate, options.tls_key, options.tls_ca};
  nodes::load_tls(cfg, tls);
  caf::actor_system sys{cfg};
  std::function<void(const log_event&)> log = options.log_events;
  if (!log)
    log = [](const log_event& e) {
      if (e.level >= log_level::info) std::fprintf(stderr, "%s\n", format_log_line(e).c_str());
    };
  auto node = nodes::spawn_node_actor(
      sys, {"node " + options.bind + " (pid " + std::to_string(::getpid()) + ")", options.slots,
            options.allowed_dirs, options.max_message_bytes, log});
  auto port = nodes::publish(sys, node, options.port, options.bind.c_str());
  if (!port) {
    caf::anon_send_exit(node, caf::exit_reason::user_shutdown);
    return {errc::unreachable, "cannot listen on " + options.bind + ":"
                                   + std::to_string(options.port) + ": "
                                   + sys.render(port.error())};
  }
  if (!options.port_file.empty()) {
    // Only ever a regular file: as root, a rename onto /dev/null replaced the device.
    if (auto err =
            nodes::write_regular_file(options.port_file, std::to_string(*port) + "\n", 0644)) {
      caf::anon_send_exit(node, caf::exit_reason::user_shutdown);
      return {errc::io, "port file: " + err.message()};
    }
  }
  if (!tls.enabled() && !is_loopback(options.bind))
    log({log_level::warn, "", "",
         "listening on " + options.bind
             + ", not loopback, without TLS or authentication: anyone who reaches "
               "this port can run this binary's jobs with their own arguments",
         wall_clock_ms()});
  log({log_level::info, "", "",
       "node listening on " + options.bind + ":" + std::to_string(*port) + " with "
           + std::to_string(options.slots) + " slot(s)" + (tls.enabled() ? ", TLS" : ""),
       wall_clock_ms()});
  sys.await_all_actors_done();
  return {};
}

} // namespace weir
