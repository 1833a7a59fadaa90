#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "weir/error.hpp"
#include "weir/job_registry.hpp"
#include "progress.hpp"
#include "weir/options.hpp"
#include "weir/stream.hpp"

namespace weir::apps {

/// The name the binary runs as ("weir", or your job binary's), for its
/// messages and usage texts; weir::main sets it once, before any command.
void set_program(const std::string& name);
const char* program_c();
/// `text` with each mention of the weir command ("weir run", "(try weir")
/// naming this binary instead.
std::string for_program(std::string text);

/// Parsed "--name value" / "--name=value" options and positional words.
struct cli_args {
  std::vector<std::string> positional;
  std::map<std::string, std::string> options; ///< without the leading dashes
  bool help = false;

  bool has(const std::string& name) const { return options.count(name) > 0; }
  std::string get(const std::string& name, const std::string& fallback = "") const {
    auto it = options.find(name);
    return it == options.end() ? fallback : it->second;
  }
  /// The option as an unsigned number in [min, max], or an error naming it.
  expected<uint64_t> get_number(const std::string& name, uint64_t fallback, uint64_t min,
                                uint64_t max) const;
};

/// Parses argv[first..argc). `valued` names the options that take a value,
/// `flags` those that do not; anything else is an error naming it.
expected<cli_args> parse_cli(int argc, char** argv, int first, const std::set<std::string>& valued,
                             const std::set<std::string>& flags = {});

/// An error naming `path` unless it is a regular file this process can read
/// (weir::open_input_file's checks: no FIFO, device or /proc file).
error check_readable_file(const std::string& path);

/// An error unless `dir` is a directory or does not exist yet.
error check_output_dir(const std::string& dir);

/// "a,b,,c" -> {"a", "b", "c"}: the comma-separated items, empty ones dropped.
std::vector<std::string> split_list(const std::string& text);

/// The TLS files of --tls-cert, --tls-key and --tls-ca: all three or none,
/// each a readable file (errc::bad_argument naming the option otherwise).
struct tls_args {
  std::string certificate, key, ca;
};
expected<tls_args> read_tls_args(const cli_args& args);

/// The options read_tls_args reads, for parse_cli's valued set.
extern const std::set<std::string> tls_valued;

/// Options every job command takes for the runtime and for nodes:
/// batch-size, credit-window, buffer-timeout-ms, nodes, remote-operators,
/// node-silence-timeout-ms, node-wait-ms, the TLS files, and the metrics
/// reporters' metrics-port, metrics-bind, metrics-interval-ms, influxdb-url
/// and influxdb-db.
extern const std::set<std::string> runtime_valued;

/// Applies the runtime_valued options to `o`; errc::bad_argument names a
/// bad value or a node option without --nodes.
error apply_runtime_options(const cli_args& args, runtime_options& o);

/// With --nodes, makes the job's input, output and side-input paths
/// absolute against this working directory: nodes resolve paths themselves.
void absolute_paths_for_nodes(const cli_args& args, job_args& job);

/// Options every job command takes for checkpoints and recovery.
extern const std::set<std::string> checkpoint_valued; // checkpoint-interval, state-dir, restart-attempts
extern const std::set<std::string> checkpoint_flags;  // fresh
/// The usage lines of --fresh, --from-savepoint, --allow-non-restored-state,
/// --savepoint-on-stop and --check: the same for every command that runs a job.
extern const char* restore_options_usage;

/// Applies --checkpoint-interval (default 1000 ms; 0: none), --state-dir
/// (default weir-state/<job> under the working directory), --fresh and
/// --restart-attempts (default 3, exponential backoff from 100 ms) to
/// `options`; says on stderr what the runtime does on its own.
error apply_checkpoint_options(const cli_args& args, const std::string& job, runtime_options& options);

/// Unless --quiet: a progress printer on stderr fed by the job's metrics
/// (rewritten in place when stderr is a terminal); call finish() once the
/// job ended. Null with --quiet.
std::shared_ptr<progress_printer> show_progress(const cli_args& args, runtime_options& options);

/// ", 3 checkpoints (latest 7) in DIR, 1 restart", or "" without checkpoints.
std::string checkpoint_summary(const job_result& result, const runtime_options& options);

/// With --check (and --from-savepoint): the dry run of starting `job` from
/// the savepoint (environment::check_savepoint), printed; returns the exit
/// code (0: it would start, 1: it would be refused). Nothing without --check.
std::optional<int> check_savepoint_only(const cli_args& args, environment& env, const std::string& job);

} // namespace weir::apps
