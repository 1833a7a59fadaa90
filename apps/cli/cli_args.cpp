#include "cli_args.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "weir/input_file.hpp"
#include "weir/node.hpp"

namespace weir::apps {

namespace {
std::string& program_name() {
  static std::string name = "weir";
  return name;
}
} // namespace

void set_program(const std::string& name) { program_name() = name; }

const char* program_c() { return program_name().c_str(); }

std::string for_program(std::string text) {
  if (program_name() == "weir") return text;
  std::string out;
  for (size_t i = 0; i < text.size();) {
    bool starts_word = i == 0 || text[i - 1] == ' ' || text[i - 1] == '(' || text[i - 1] == '`'
                       || text[i - 1] == '\n';
    if (starts_word && text.compare(i, 5, "weir ") == 0) {
      out += program_name() + " ";
      i += 5;
    } else {
      out += text[i++];
    }
  }
  return out;
}

expected<uint64_t> cli_args::get_number(const std::string& name, uint64_t fallback, uint64_t min,
                                        uint64_t max) const {
  auto it = options.find(name);
  if (it == options.end()) return fallback;
  const auto& text = it->second;
  char* end = nullptr;
  unsigned long long v = std::strtoull(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || text[0] == '-' || v < min || v > max)
    return error{errc::bad_argument, "--" + name + " must be a number from " + std::to_string(min)
                                       + " to " + std::to_string(max) + ", got '" + text + "'"};
  return static_cast<uint64_t>(v);
}

expected<cli_args> parse_cli(int argc, char** argv, int first, const std::set<std::string>& valued,
                             const std::set<std::string>& flags) {
  cli_args out;
  for (int i = first; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      out.help = true;
      continue;
    }
    if (arg.rfind("--", 0) != 0) {
      out.positional.push_back(arg);
      continue;
    }
    std::string name = arg.substr(2);
    std::string value;
    bool inline_value = false;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      inline_value = true;
    }
    if (flags.count(name)) {
      if (inline_value) return error{errc::bad_argument, "option --" + name + " takes no value"};
      out.options[name] = "true";
    } else if (valued.count(name)) {
      if (!inline_value) {
        if (i + 1 >= argc) return error{errc::bad_argument, "option --" + name + " needs a value"};
        value = argv[++i];
      }
      out.options[name] = value;
    } else {
      return error{errc::bad_argument, "unknown option --" + name};
    }
  }
  return out;
}

error check_readable_file(const std::string& path) {
  auto in = open_input_file(path);
  return in ? error{} : in.error_value();
}

error check_output_dir(const std::string& dir) {
  std::error_code ec;
  auto st = std::filesystem::status(dir, ec);
  if (st.type() == std::filesystem::file_type::not_found || std::filesystem::is_directory(st)) return {};
  return {errc::io, "output '" + dir + "' is not a directory"};
}

const std::set<std::string> checkpoint_valued{"checkpoint-interval", "state-dir", "restart-attempts",
                                              "from-savepoint", "log-level"};
const std::set<std::string> checkpoint_flags{"fresh", "allow-non-restored-state", "savepoint-on-stop", "check"};

error apply_checkpoint_options(const cli_args& args, const std::string& job, runtime_options& options) {
  auto interval = args.get_number("checkpoint-interval", 1000, 0, 86400000);
  auto attempts = args.get_number("restart-attempts", 3, 0, 1000);
  if (!interval) return interval.error_value();
  if (!attempts) return attempts.error_value();
  auto& c = options.checkpoints;
  c.interval_ms = *interval;
  c.state_dir = args.get("state-dir", "weir-state/" + job);
  c.fresh = args.has("fresh");
  c.from_savepoint = args.get("from-savepoint");
  c.allow_non_restored_state = args.has("allow-non-restored-state");
  if (args.has("savepoint-on-stop")) c.savepoint_on_stop = "savepoint";
  if (args.has("check") && c.from_savepoint.empty()) return {errc::bad_argument, "--check goes with --from-savepoint"};
  if (c.fresh && !c.from_savepoint.empty()) return {errc::bad_argument, "say --fresh or --from-savepoint, not both"};
  if (c.allow_non_restored_state && c.from_savepoint.empty())
    return {errc::bad_argument, "--allow-non-restored-state goes with --from-savepoint"};
  if ((!c.from_savepoint.empty() || !c.savepoint_on_stop.empty()) && c.interval_ms == 0)
    return {errc::bad_argument, "--from-savepoint and --savepoint-on-stop need checkpoints (a --checkpoint-interval above 0)"};
  options.restart = restart_strategy::exponential_backoff(static_cast<uint32_t>(*attempts), 100, 10000);
  auto level = parse_log_level(args.get("log-level", "info"));
  if (!level) return {errc::bad_argument, "--log-level is debug, info, warn or error, not '" + args.get("log-level") + "'"};
  options.log_events = [least = *level](const log_event& e) {
    if (e.level >= least) std::fprintf(stderr, "%s\n", format_log_line(e).c_str());
  };
  return {};
}

std::shared_ptr<progress_printer> show_progress(const cli_args& args, runtime_options& options) {
  if (args.has("quiet")) return nullptr;
  auto printer = std::make_shared<progress_printer>(stderr, ::isatty(STDERR_FILENO) == 1);
  auto print = progress_printer::callback(printer);
  auto user = std::move(options.metrics.on_metrics);
  options.metrics.on_metrics = [print, user](const job_metrics& m) {
    print(m);
    if (user) user(m);
  };
  return printer;
}

std::string checkpoint_summary(const job_result& result, const runtime_options& options) {
  std::string out;
  if (options.checkpoints.interval_ms > 0)
    out += ", " + std::to_string(result.checkpoints) + " checkpoint" + (result.checkpoints == 1 ? "" : "s")
           + " (latest " + std::to_string(result.last_checkpoint) + ") in " + options.checkpoints.state_dir;
  if (!result.restored_savepoint.empty())
    out += ", started from savepoint " + result.restored_savepoint;
  else if (result.resumed_from > 0)
    out += ", resumed from checkpoint " + std::to_string(result.resumed_from);
  if (!result.stopped_with.empty()) out += ", stopped with savepoint " + result.stopped_with;
  if (result.restarts > 0)
    out += ", " + std::to_string(result.restarts) + " restart" + (result.restarts == 1 ? "" : "s");
  return out;
}

std::optional<int> check_savepoint_only(const cli_args& args, environment& env, const std::string& job) {
  if (!args.has("check")) return std::nullopt;
  auto report = env.check_savepoint(job);
  if (!report) {
    std::fprintf(stderr, "weir: savepoint check of '%s': %s\n", job.c_str(), report.error_value().message().c_str());
    return 1;
  }
  std::fputs(report->c_str(), stdout);
  return 0;
}

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    auto comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    if (comma > start) out.push_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

const std::set<std::string> tls_valued{"tls-cert", "tls-key", "tls-ca"};

expected<tls_args> read_tls_args(const cli_args& args) {
  tls_args tls{args.get("tls-cert"), args.get("tls-key"), args.get("tls-ca")};
  int given = !tls.certificate.empty() + !tls.key.empty() + !tls.ca.empty();
  if (given == 0) return tls;
  if (given != 3) return error{errc::bad_argument, "--tls-cert, --tls-key and --tls-ca go together"};
  for (const auto& [option, path] : {std::pair<const char*, const std::string&>{"--tls-cert", tls.certificate},
                                     {"--tls-key", tls.key}, {"--tls-ca", tls.ca}})
    if (auto err = check_readable_file(path)) return error{errc::bad_argument, std::string(option) + ": " + err.message()};
  return tls;
}

const char* restore_options_usage = R"(  --fresh                 start over, discarding an unfinished run's checkpoints
  --from-savepoint S      start from savepoint S (NAME or NAME@VERSION) in the
                          state dir instead, its state mapped by operator uid
  --allow-non-restored-state  with --from-savepoint: leave state of operators
                          the job no longer has behind instead of refusing
  --savepoint-on-stop     on SIGTERM, stop with the next version of savepoint
                          'savepoint' (as weir job stop --savepoint does)
  --check                 with --from-savepoint: only check that the job starts
                          from it (the state of each operator, restored dry) and
                          print where each operator's state comes from
)";

const std::set<std::string> runtime_valued{"batch-size", "credit-window", "buffer-timeout-ms", "nodes",
                                           "remote-operators", "node-silence-timeout-ms", "node-wait-ms", "max-message-bytes",
                                           "tls-cert", "tls-key", "tls-ca", "metrics-port", "ui-port", "metrics-bind",
                                           "metrics-interval-ms", "influxdb-url", "influxdb-db"};

namespace {

error apply_metrics_options(const cli_args& args, metrics_options& m) {
  auto port = args.get_number("metrics-port", 0, 0, 65535);
  auto ui_port = args.get_number("ui-port", 0, 0, 65535);
  auto interval = args.get_number("metrics-interval-ms", m.interval_ms, 100, 3600000);
  for (auto* e : {&port, &ui_port, &interval})
    if (!*e) return e->error_value();
  if (args.has("metrics-port")) m.port = static_cast<int>(*port);
  if (args.has("ui-port")) m.ui_port = static_cast<int>(*ui_port);
  if (args.has("metrics-bind")) {
    if (!args.has("metrics-port") && !args.has("ui-port"))
      return {errc::bad_argument, "--metrics-bind goes with --metrics-port or --ui-port"};
    m.bind = args.get("metrics-bind");
  }
  m.interval_ms = static_cast<uint32_t>(*interval);
  m.influxdb_url = args.get("influxdb-url");
  if (args.has("influxdb-url") && m.influxdb_url.empty()) return {errc::bad_argument, "--influxdb-url is empty"};
  if (args.has("influxdb-db")) {
    if (!args.has("influxdb-url")) return {errc::bad_argument, "--influxdb-db goes with --influxdb-url"};
    m.influxdb_db = args.get("influxdb-db");
  }
  return m.check();
}

} // namespace

error apply_runtime_options(const cli_args& args, runtime_options& o) {
  auto batch = args.get_number("batch-size", o.batch_size, 1, 1 << 20);
  auto window = args.get_number("credit-window", o.credit_window, 1, 1 << 16);
  auto timeout = args.get_number("buffer-timeout-ms", o.buffer_timeout_ms, 0, 60000);
  for (auto* e : {&batch, &window, &timeout})
    if (!*e) return e->error_value();
  o.batch_size = *batch;
  o.credit_window = static_cast<uint32_t>(*window);
  o.buffer_timeout_ms = static_cast<uint32_t>(*timeout);
  auto silence = args.get_number("node-silence-timeout-ms", o.node_silence_timeout_ms, 2000, 3600000);
  auto wait = args.get_number("node-wait-ms", o.node_return_timeout_ms, 0, 86400000);
  auto max_message = args.get_number("max-message-bytes", o.max_message_bytes, 16 << 20, uint64_t{1} << 32);
  for (auto* e : {&silence, &wait, &max_message})
    if (!*e) return e->error_value();
  o.max_message_bytes = static_cast<size_t>(*max_message);
  if ((args.has("node-silence-timeout-ms") || args.has("node-wait-ms")) && !args.has("nodes"))
    return {errc::bad_argument, "--node-silence-timeout-ms and --node-wait-ms go with --nodes"};
  if (args.has("max-message-bytes") && !args.has("nodes"))
    return {errc::bad_argument, "--max-message-bytes goes with --nodes"};
  o.node_silence_timeout_ms = static_cast<uint32_t>(*silence);
  o.node_return_timeout_ms = static_cast<uint32_t>(*wait);
  o.nodes = split_list(args.get("nodes"));
  o.remote_uids = split_list(args.get("remote-operators"));
  if (args.has("nodes") && o.nodes.empty()) return {errc::bad_argument, "--nodes lists no node"};
  if (args.has("remote-operators") && o.nodes.empty())
    return {errc::bad_argument, "--remote-operators goes with --nodes"};
  if (args.has("remote-operators") && o.remote_uids.empty())
    return {errc::bad_argument, "--remote-operators lists no operator"};
  for (const auto& address : o.nodes)
    if (auto parsed = parse_node_address(address); !parsed) return parsed.error_value();
  auto tls = read_tls_args(args);
  if (!tls) return tls.error_value();
  if (!tls->certificate.empty() && o.nodes.empty()) return {errc::bad_argument, "--tls-cert goes with --nodes"};
  o.tls_certificate = tls->certificate;
  o.tls_key = tls->key;
  o.tls_ca = tls->ca;
  return apply_metrics_options(args, o.metrics);
}

void absolute_paths_for_nodes(const cli_args& args, job_args& job) {
  if (!args.has("nodes")) return;
  for (const char* key : {"input", "output", "side-input"}) {
    auto it = job.find(key);
    if (it != job.end() && !it->second.empty())
      it->second = std::filesystem::absolute(it->second).lexically_normal().string();
  }
}

} // namespace weir::apps
