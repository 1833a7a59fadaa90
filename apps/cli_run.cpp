#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "cli_args.hpp"
#include "commands.hpp"
#include "weir/node.hpp"
#include "jobs/wordcount.hpp"
#include "weir/stream.hpp"

namespace weir::apps {

namespace {

const char* run_usage = R"(usage: weir run <job> [options]

jobs:
  wordcount   count words (maximal runs of ASCII letters, lowercased) in a text
              file; writes DIR/part-* files of "word<TAB>running count" lines,
              the last line of a word holding its final count

options:
  --input FILE            text to read (default: the sample text shipped with Weir)
  --output DIR            where part files go; this job's earlier part files
                          there are replaced (default: out/wordcount)
  --parallelism N         subtasks per operator, 1-128 (default 1)
  --batch-size N          records per frame (default 1024)
  --credit-window N       frames in flight per channel (default 4)
  --buffer-timeout-ms N   send a partial frame after N ms (default 10)
  --chain                 run forward-connected operators in one actor
  --nodes H:P[,H:P..]     run tasks on these node daemons (see weir node)
  --remote-operators U,.. only these operators' tasks go to the nodes
  --tls-cert F --tls-key F --tls-ca F
                          TLS to the nodes: this coordinator's certificate
                          and key (PEM), the CA that signed the nodes'
  --node-silence-timeout-ms N  a node silent this long is lost (default 10000)
  --node-wait-ms N        when a lost node leaves too few slots, wait this long
                          for it to come back before failing (default 30000)
  --max-message-bytes N   the largest message read from a node (default
                          536870912; state crosses in parts of an eighth;
                          start the nodes with the same value)
  --metrics-port P        serve Prometheus text at http://127.0.0.1:P/metrics
                          (0: a free port, said on stderr)
  --ui-port P             serve the web dashboard at http://127.0.0.1:P/
                          (0: a free port, said on stderr)
  --metrics-bind ADDR     listen on ADDR instead of loopback (both)
  --influxdb-url URL      push metrics to InfluxDB 1.x at URL (http://host:port)
  --influxdb-db DB        its database (default weir; created if missing)
  --metrics-interval-ms N how often tasks are asked for metrics (default 1000)
  --quiet                 no progress line (printed on stderr while the job
                          runs: rewritten in place on a terminal, else a line
                          every 10 s)
  --top N                 print the N most frequent words (default 10)
  --checkpoint-interval MS  take a checkpoint this often (default 1000; 0: none)
  --state-dir DIR         where checkpoints go (a LevelDB; default
                          weir-state/wordcount): a run that did not finish
                          resumes from its latest checkpoint when run again
  --fresh                 start over, discarding an unfinished run's checkpoints
  --from-savepoint S      start from savepoint S (NAME or NAME@VERSION) in the
                          state dir instead, its state mapped by operator uid
  --allow-non-restored-state  with --from-savepoint: leave state of operators
                          the job no longer has behind instead of refusing
  --savepoint-on-stop     on SIGTERM, stop with the next version of savepoint
                          'savepoint' (as weir job stop --savepoint does)
  --check                 with --from-savepoint: only check that the job starts
                          from it (the state of each operator, restored dry) and
                          print where each operator's state comes from
  --log-level L           debug, info (default), warn or error: the runtime's log
                          lines on stderr at L and above (time, level, job, task)
  --restart-attempts N    restarts after a failure, from the latest checkpoint
                          (default 3)
  -h, --help              show this help
)";

// host:port with a port from 1 to 65535.
int usage_error(const std::string& message) {
  std::fprintf(stderr, "weir run: %s (try weir run --help)\n", message.c_str());
  return 2;
}

/// Prints the most frequent words the run committed to `dir`. With nodes the
/// sink may have written `dir` on another machine: said, not an error.
/// Otherwise a committed output that cannot be read is one (exit 1).
bool print_top(const std::string& dir, size_t top, bool on_nodes) {
  std::error_code ec;
  if (on_nodes && !std::filesystem::exists(dir, ec)) {
    std::printf("the output is in %s on the node(s) that ran the sink, not in this file system: "
                "top words are not shown\n", dir.c_str());
    return true;
  }
  auto counts = read_final_counts(dir);
  if (!counts) {
    std::fprintf(stderr, "weir run: the job succeeded but its output cannot be read: %s\n",
                 counts.error_value().to_string().c_str());
    return false;
  }
  auto& v = *counts;
  std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  std::printf("top words:\n");
  for (size_t i = 0; i < std::min(top, v.size()); ++i)
    std::printf("  %-16s %lld\n", v[i].first.c_str(), static_cast<long long>(v[i].second));
  std::printf("distinct words: %zu\n", v.size());
  return true;
}

} // namespace

int run_command(int argc, char** argv, int first) {
  std::set<std::string> valued{"input", "output", "parallelism", "top"};
  valued.insert(runtime_valued.begin(), runtime_valued.end());
  std::set<std::string> flags{"chain", "quiet"};
  valued.insert(checkpoint_valued.begin(), checkpoint_valued.end());
  flags.insert(checkpoint_flags.begin(), checkpoint_flags.end());
  auto args = parse_cli(argc, argv, first, valued, flags);
  if (!args) return usage_error(args.error_value().message());
  if (args->help) {
    std::fputs(run_usage, stdout);
    return 0;
  }
  if (args->positional.size() != 1) return usage_error("name exactly one job to run");
  if (args->positional[0] != "wordcount") return usage_error("unknown job '" + args->positional[0] + "'");
  auto top = args->get_number("top", 10, 0, 1000000);
  if (!top) return usage_error(top.error_value().message());
  job_args job{{"input", args->get("input", WEIR_SAMPLE_TEXT)},
               {"output", args->get("output", "out/wordcount")},
               {"parallelism", args->get("parallelism", "1")}};
  absolute_paths_for_nodes(*args, job);
  environment env;
  env.set_chaining(args->has("chain"));
  if (auto err = apply_runtime_options(*args, env.options())) return usage_error(err.message());
  if (auto err = apply_checkpoint_options(*args, "wordcount", env.options())) return usage_error(err.message());
  if (auto err = build_registered_job(env, "wordcount", job)) return usage_error(err.message());
  if (auto err = check_readable_file(job["input"])) return usage_error(err.message());
  if (auto err = check_output_dir(job["output"])) return usage_error(err.message());
  if (auto code = check_savepoint_only(*args, env, "wordcount")) return *code;
  auto progress = show_progress(*args, env.options());
  auto result = env.execute("wordcount");
  if (progress) progress->finish();
  if (!result.ok()) {
    std::fprintf(stderr, "weir run: job failed: %s\n", result.failure.to_string().c_str());
    return 1;
  }
  bool shown = print_top(job["output"], *top, !env.options().nodes.empty());
  std::printf("wordcount: %llu lines in, %llu counts out, %.3f s, %.0f lines/s, parallelism %s%s\n",
              static_cast<unsigned long long>(result.source_records),
              static_cast<unsigned long long>(result.sink_records), result.seconds,
              result.seconds > 0 ? result.source_records / result.seconds : 0.0,
              job["parallelism"].c_str(), checkpoint_summary(result, env.options()).c_str());
  return shown ? 0 : 1;
}

} // namespace weir::apps
