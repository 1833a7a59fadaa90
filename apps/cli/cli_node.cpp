#include <cstdio>
#include <filesystem>
#include <string>

#include "cli_args.hpp"
#include "cli_commands.hpp"
#include "weir/node.hpp"

namespace weir::apps {

namespace {

const char* node_usage = R"(usage: weir node [options]

Serves tasks of this binary's jobs to a coordinator (weir run ... --nodes).
Runs until terminated.

options:
  --port N          port to listen on (default 0: any free port)
  --bind ADDR       address to listen on (default 127.0.0.1)
  --port-file FILE  write the port here once listening
  --tls-cert FILE, --tls-key FILE, --tls-ca FILE
                    TLS: this node's certificate and key (PEM) and the CA
                    every coordinator's and node's certificate must be
                    signed by (all three or none)
  --allowed-dirs D,..  refuse jobs whose input, output or side-input path is
                    outside these absolute directories
  --slots N         how many subtasks of each operator it runs (default: one
                    per core); a coordinator places subtask i of every
                    operator in slot i, slots taken round robin over nodes
  --silence-timeout-ms N
                    close a connection silent this long, stopping the tasks
                    that used it (default 10000; heartbeats go every second)
  --max-message-bytes N
                    the largest message read from a peer (default 536870912;
                    use the coordinator's --max-message-bytes)
  --log-level L     debug, info (default), warn or error: one line per event
                    on stderr (time, level, job, task), from L up
  -h, --help        show this help
)";

} // namespace

int usage(const std::string& message) {
  std::fprintf(stderr, "%s node: %s (try %s node --help)\n", program_c(), message.c_str(), program_c());
  return 2;
}

int node_command(int argc, char** argv, int first) {
  auto args = parse_cli(argc, argv, first,
                        {"port", "bind", "port-file", "slots", "tls-cert", "tls-key", "tls-ca",
                         "allowed-dirs", "silence-timeout-ms", "max-message-bytes", "log-level"});
  if (!args) {
    std::fprintf(stderr, "%s node: %s (try %s node --help)\n", program_c(), args.error_value().message().c_str(), program_c());
    return 2;
  }
  if (args->help) {
    std::fputs(for_program(node_usage).c_str(), stdout);
    return 0;
  }
  auto port = args->get_number("port", 0, 0, 65535);
  if (!port) {
    std::fprintf(stderr, "%s node: %s\n", program_c(), port.error_value().message().c_str());
    return 2;
  }
  node_options o;
  auto slots = args->get_number("slots", o.slots, 1, 4096);
  if (!slots) {
    std::fprintf(stderr, "%s node: %s\n", program_c(), slots.error_value().message().c_str());
    return 2;
  }
  o.slots = static_cast<uint32_t>(*slots);
  auto silence = args->get_number("silence-timeout-ms", o.silence_timeout_ms, 2000, 3600000);
  if (!silence) return usage(silence.error_value().message());
  o.silence_timeout_ms = static_cast<uint32_t>(*silence);
  auto max_message =
      args->get_number("max-message-bytes", o.max_message_bytes, 16 << 20, uint64_t{1} << 32);
  if (!max_message) return usage(max_message.error_value().message());
  o.max_message_bytes = static_cast<size_t>(*max_message);
  auto tls = read_tls_args(*args);
  if (!tls) {
    std::fprintf(stderr, "%s node: %s\n", program_c(), tls.error_value().message().c_str());
    return 2;
  }
  o.tls_certificate = tls->certificate;
  o.tls_key = tls->key;
  o.tls_ca = tls->ca;
  if (args->has("allowed-dirs")) {
    o.allowed_dirs = split_list(args->get("allowed-dirs"));
    if (o.allowed_dirs.empty()) return usage("--allowed-dirs lists no directory");
    for (const auto& d : o.allowed_dirs)
      if (!std::filesystem::path(d).is_absolute())
        return usage("--allowed-dirs: '" + d + "' is not an absolute path");
  }
  auto level = parse_log_level(args->get("log-level", "info"));
  if (!level)
    return usage("--log-level is debug, info, warn or error, not '" + args->get("log-level") + "'");
  o.log_events = [least = *level](const log_event& e) {
    if (e.level >= least)
      std::fprintf(stderr, "%s\n", format_log_line(e).c_str()); // one call: whole lines
  };
  o.port = static_cast<uint16_t>(*port);
  o.bind = args->get("bind", o.bind);
  o.port_file = args->get("port-file");
  auto err = run_node(o);
  if (err) {
    std::fprintf(stderr, "%s node: %s\n", program_c(), err.to_string().c_str());
    return 1;
  }
  return 0;
}

} // namespace weir::apps
