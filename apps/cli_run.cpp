#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <utility>
#include <vector>

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
  redis-wordcount
              count the words of the lines (field "line") of a Redis stream;
              adds entries (word, count) to another stream, exactly once
  kafka-wordcount
              count the words of the lines (message values) of a Kafka topic;
              produces messages (key word, value count) to another topic,
              exactly once
  postgres-wordcount
              count the words of a text file into a PostgreSQL table (word
              text PRIMARY KEY, count bigint), upserting each running count
  Every job emits a word's running count at each occurrence: the last one
  written for a word is its count.

job options:
  --input FILE            wordcount, postgres-wordcount: text to read (default:
                          the sample text shipped with Weir)
  --input NAME            redis-wordcount: stream (default weir:lines);
                          kafka-wordcount: topic (default lines)
  --output DIR            wordcount: where part files go; this job's earlier
                          part files there are replaced (default: out/wordcount)
  --output NAME           redis-wordcount: stream (default weir:counts);
                          kafka-wordcount: topic (default word-counts)
  --top N                 wordcount: print the N most frequent words (default 10)
  --redis HOST:PORT       redis-wordcount: the server (default 127.0.0.1:6379)
  --bootstrap-servers L   kafka-wordcount: brokers (default 127.0.0.1:9092)
  --follow                redis-, kafka-wordcount: keep reading new lines
                          (default: stop at the end the input had at start)
  --conninfo S            postgres-wordcount: libpq connection string (default
                          "host=127.0.0.1 port=5432 dbname=postgres user=weir")
  --table NAME            postgres-wordcount: the table (default word_counts)

options:
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
  --checkpoint-interval MS  take a checkpoint this often (default 1000; 0: none)
  --state-dir DIR         where checkpoints go (a LevelDB; default
                          weir-state/JOB): a run that did not finish
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

namespace {

/// A job `weir run` knows: its own options and their defaults (the common
/// ones, parallelism and the runtime's, are every job's).
struct run_job {
  std::string name;
  std::vector<std::pair<std::string, std::string>> options; // name, default
  bool file_output = false; // wordcount: part files, its top words printed
};

const std::vector<run_job>& run_jobs() {
  static const std::vector<run_job> jobs{
      {"wordcount", {{"input", WEIR_SAMPLE_TEXT}, {"output", "out/wordcount"}, {"top", "10"}}, true},
      {"redis-wordcount",
       {{"redis", "127.0.0.1:6379"}, {"input", "weir:lines"}, {"output", "weir:counts"}, {"follow", ""}}},
      {"kafka-wordcount",
       {{"bootstrap-servers", "127.0.0.1:9092"}, {"input", "lines"}, {"output", "word-counts"},
        {"follow", ""}}},
      {"postgres-wordcount",
       {{"input", WEIR_SAMPLE_TEXT},
        {"conninfo", "host=127.0.0.1 port=5432 dbname=postgres user=weir"},
        {"table", "word_counts"}}}};
  return jobs;
}

const std::set<std::string> job_valued{"input", "output", "top", "redis", "bootstrap-servers",
                                       "conninfo", "table"};

/// The job's args from its defaults and the command line; an option another
/// job has but this one lacks is an error naming both.
expected<job_args> job_arguments(const run_job& job, const cli_args& args) {
  job_args out{{"parallelism", args.get("parallelism", "1")}};
  for (const auto& [name, fallback] : job.options)
    out[name] = name == "follow" ? (args.has("follow") ? "1" : "0") : args.get(name, fallback);
  for (const auto& name : job_valued)
    if (args.has(name) && !out.count(name))
      return error{errc::bad_argument, "--" + name + " is not an option of " + job.name};
  if (args.has("follow") && !out.count("follow"))
    return error{errc::bad_argument, "--follow is not an option of " + job.name};
  return out;
}

} // namespace

int run_command(int argc, char** argv, int first) {
  std::set<std::string> valued{"parallelism"};
  valued.insert(job_valued.begin(), job_valued.end());
  valued.insert(runtime_valued.begin(), runtime_valued.end());
  std::set<std::string> flags{"chain", "quiet", "follow"};
  valued.insert(checkpoint_valued.begin(), checkpoint_valued.end());
  flags.insert(checkpoint_flags.begin(), checkpoint_flags.end());
  auto args = parse_cli(argc, argv, first, valued, flags);
  if (!args) return usage_error(args.error_value().message());
  if (args->help) {
    std::fputs(run_usage, stdout);
    return 0;
  }
  if (args->positional.size() != 1) return usage_error("name exactly one job to run");
  const auto& name = args->positional[0];
  auto spec = std::find_if(run_jobs().begin(), run_jobs().end(),
                           [&](const run_job& j) { return j.name == name; });
  if (spec == run_jobs().end())
    return usage_error("unknown job '" + name + "' (jobs: wordcount, redis-wordcount, "
                       "kafka-wordcount, postgres-wordcount)");
  auto job = job_arguments(*spec, *args);
  if (!job) return usage_error(job.error_value().message());
  auto top = args->get_number("top", 10, 0, 1000000);
  if (!top) return usage_error(top.error_value().message());
  if (spec->file_output || name == "postgres-wordcount") // input/output are paths, not names
    absolute_paths_for_nodes(*args, *job);
  environment env;
  env.set_chaining(args->has("chain"));
  if (auto err = apply_runtime_options(*args, env.options())) return usage_error(err.message());
  if (auto err = apply_checkpoint_options(*args, name, env.options())) return usage_error(err.message());
  if (auto err = build_registered_job(env, name, *job)) return usage_error(err.message());
  if (job->count("input") && (spec->file_output || name == "postgres-wordcount"))
    if (auto err = check_readable_file((*job)["input"])) return usage_error(err.message());
  if (spec->file_output)
    if (auto err = check_output_dir((*job)["output"])) return usage_error(err.message());
  if (auto code = check_savepoint_only(*args, env, name)) return *code;
  auto progress = show_progress(*args, env.options());
  auto result = env.execute(name);
  if (progress) progress->finish();
  if (!result.ok()) {
    std::fprintf(stderr, "weir run: job failed: %s\n", result.failure.to_string().c_str());
    return 1;
  }
  bool shown = !spec->file_output || print_top((*job)["output"], *top, !env.options().nodes.empty());
  std::printf("%s: %llu lines in, %llu counts out, %.3f s, %.0f lines/s, parallelism %s%s\n",
              name.c_str(), static_cast<unsigned long long>(result.source_records),
              static_cast<unsigned long long>(result.sink_records), result.seconds,
              result.seconds > 0 ? result.source_records / result.seconds : 0.0,
              (*job)["parallelism"].c_str(), checkpoint_summary(result, env.options()).c_str());
  return shown ? 0 : 1;
}

} // namespace weir::apps
