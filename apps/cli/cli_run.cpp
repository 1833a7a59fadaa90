#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include "cli_args.hpp"
#include "cli_commands.hpp"
#include "weir/stream.hpp"

namespace weir::apps {

namespace {

// The part of `weir run --help` after the jobs: what every job takes.
const char* run_options_usage = R"(
options every job takes:
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
)";

// After restore_options_usage.
const char* run_options_usage_end = R"(  --log-level L           debug, info (default), warn or error: the runtime's log
                          lines on stderr at L and above (time, level, job, task)
  --restart-attempts N    restarts after a failure, from the latest checkpoint
                          (default 3)
  -h, --help              show this help
)";

int usage_error(const std::string& message) {
  std::fprintf(stderr, "%s run: %s (try %s run --help)\n", program_c(), message.c_str(), program_c());
  return 2;
}

/// `text` broken into lines of at most 80 columns at spaces, every line but
/// the first indented by `indent` columns (the first starts at `column`).
std::string wrap(const std::string& text, size_t indent, size_t column) {
  std::string out;
  size_t at = column;
  bool first = true;
  for (size_t i = 0; i < text.size();) {
    size_t end = std::min(text.find(' ', i), text.size());
    auto word = text.substr(i, end - i);
    if (!first && at + 1 + word.size() > 80) {
      out += "\n" + std::string(indent, ' ');
      at = indent;
    } else if (!first) {
      out += ' ';
      ++at;
    }
    out += word;
    at += word.size();
    first = false;
    i = end + 1;
  }
  return out;
}

/// "--name VALUE  help (default X)" lines of a job's options.
std::string option_lines(const job_info& info) {
  std::string out;
  for (const auto& o : info.options) {
    std::string left = "    --" + o.name + (o.flag ? "" : " VALUE");
    std::string help = o.help;
    if (!o.flag && !o.fallback.empty()) help += " (default " + o.fallback + ")";
    if (left.size() < 28) {
      left.resize(28, ' ');
      out += left + wrap(help, 28, 28) + "\n";
    } else {
      out += left + "\n" + std::string(28, ' ') + wrap(help, 28, 28) + "\n";
    }
  }
  return out;
}

std::string run_usage() {
  std::string out = "usage: weir run <job> [options]\n\njobs of this binary:\n";
  for (const auto& name : registered_jobs()) {
    auto info = find_job_info(name);
    out += "\n  " + name;
    if (info && !info->summary.empty()) out += ": " + wrap(info->summary, 4, name.size() + 4);
    out += "\n";
    if (info) out += option_lines(*info);
  }
  return out + run_options_usage + restore_options_usage + run_options_usage_end;
}

/// Every registered job's own options, split into valued and flags.
void job_option_names(std::set<std::string>& valued, std::set<std::string>& flags) {
  for (const auto& name : registered_jobs())
    if (auto info = find_job_info(name))
      for (const auto& o : info->options)
        (o.flag ? flags : valued).insert(o.name);
}

/// The job's args from its options' defaults and the command line; an
/// option some other job has but this one lacks is an error naming both.
expected<job_args> job_arguments(const std::string& name, const job_info& info,
                                 const cli_args& args) {
  auto parallelism = args.get_number("parallelism", 1, 1, 128);
  if (!parallelism) return parallelism.error_value();
  job_args out{{"parallelism", std::to_string(*parallelism)}};
  std::set<std::string> own{"parallelism"};
  for (const auto& o : info.options) {
    own.insert(o.name);
    out[o.name] = o.flag ? (args.has(o.name) ? "1" : "0") : args.get(o.name, o.fallback);
  }
  std::set<std::string> valued, flags;
  job_option_names(valued, flags);
  valued.insert(flags.begin(), flags.end());
  for (const auto& option : valued)
    if (args.has(option) && !own.count(option))
      return error{errc::bad_argument, "--" + option + " is not an option of " + name};
  for (const auto& o : info.options) {
    if (!o.path) continue;
    if (out[o.name].empty()) return error{errc::bad_argument, "--" + o.name + " must not be empty"};
    if (args.has("nodes")) // nodes resolve paths themselves
      out[o.name] = std::filesystem::absolute(out[o.name]).lexically_normal().string();
  }
  return out;
}

/// The checks before a run: input files readable, output directories usable.
error check_job_files(const job_info& info, job_args& job) {
  for (const auto& option : info.input_files)
    if (auto err = check_readable_file(job.count(option) ? job[option] : "")) return err;
  for (const auto& option : info.output_dirs)
    if (auto err = check_output_dir(job.count(option) ? job[option] : "")) return err;
  return {};
}

} // namespace

std::vector<std::string> job_option_clashes() {
  std::set<std::string> runtime{"chain", "quiet", "help"};
  for (const auto* names : {&runtime_valued, &checkpoint_valued, &checkpoint_flags})
    runtime.insert(names->begin(), names->end());
  std::vector<std::string> clashes;
  std::map<std::string, std::pair<std::string, bool>> seen; // option -> first job, flag
  for (const auto& name : registered_jobs()) {
    auto info = find_job_info(name);
    if (!info) continue;
    for (const auto& o : info->options) {
      if (runtime.count(o.name) || o.name == "parallelism") {
        clashes.push_back("job '" + name + "' declares --" + o.name + ", which weir run takes itself");
        continue;
      }
      auto [it, fresh] = seen.try_emplace(o.name, name, o.flag);
      if (!fresh && it->second.second != o.flag)
        clashes.push_back("--" + o.name + " is a flag of job '" + (o.flag ? name : it->second.first)
                          + "' but takes a value in job '" + (o.flag ? it->second.first : name) + "'");
    }
  }
  return clashes;
}

int run_command(int argc, char** argv, int first) {
  auto clashes = job_option_clashes();
  if (!clashes.empty()) { // the job binary's mistake, not the user's: exit 70 (EX_SOFTWARE)
    for (const auto& c : clashes)
      std::fprintf(stderr, "%s: %s: rename the job's option\n", for_program("weir run").c_str(), c.c_str());
    return 70;
  }
  std::set<std::string> valued{"parallelism"};
  std::set<std::string> flags{"chain", "quiet"};
  job_option_names(valued, flags);
  valued.insert(runtime_valued.begin(), runtime_valued.end());
  valued.insert(checkpoint_valued.begin(), checkpoint_valued.end());
  flags.insert(checkpoint_flags.begin(), checkpoint_flags.end());
  auto args = parse_cli(argc, argv, first, valued, flags);
  if (!args) return usage_error(args.error_value().message());
  if (args->help) {
    std::fputs(for_program(run_usage()).c_str(), stdout);
    return 0;
  }
  if (args->positional.size() != 1) return usage_error("name exactly one job to run");
  const auto& name = args->positional[0];
  auto info = find_job_info(name);
  if (!info) {
    std::string jobs;
    for (const auto& j : registered_jobs())
      jobs += (jobs.empty() ? "" : ", ") + j;
    return usage_error("unknown job '" + name + "' (jobs: " + jobs + ")");
  }
  auto job = job_arguments(name, *info, *args);
  if (!job) return usage_error(job.error_value().message());
  environment env;
  env.set_chaining(args->has("chain"));
  if (auto err = apply_runtime_options(*args, env.options())) return usage_error(err.message());
  if (auto err = apply_checkpoint_options(*args, name, env.options())) return usage_error(err.message());
  if (auto err = check_job_files(*info, *job)) return usage_error(err.message());
  if (auto err = build_registered_job(env, name, *job)) return usage_error(err.message());
  if (auto code = check_savepoint_only(*args, env, name)) return *code;
  auto progress = show_progress(*args, env.options());
  auto result = env.execute(name);
  if (progress) progress->finish();
  if (!result.ok()) {
    std::fprintf(stderr, "%s run: job failed: %s\n", program_c(), result.failure.to_string().c_str());
    return 1;
  }
  bool shown = !info->report || info->report(*job, result, !env.options().nodes.empty());
  std::printf("%s: %llu records in, %llu out, %.3f s, %.0f records/s, parallelism %s%s\n",
              name.c_str(), static_cast<unsigned long long>(result.source_records),
              static_cast<unsigned long long>(result.sink_records), result.seconds,
              result.seconds > 0 ? result.source_records / result.seconds : 0.0,
              (*job)["parallelism"].c_str(), checkpoint_summary(result, env.options()).c_str());
  return shown ? 0 : 1;
}

} // namespace weir::apps
