// weir jobs list --state-dir DIR: the jobs of a state directory, running or not.

#include <cstdio>
#include <map>
#include <string>

#include "cli_args.hpp"
#include "cli_commands.hpp"
#include "weir/checkpoints.hpp"
#include "weir/control.hpp"

namespace weir::apps {

namespace {

const char* jobs_usage = R"(usage: weir jobs list --state-dir DIR

The jobs of a state directory: the one running there (asked through its
control endpoint: its attempt, restarts and checkpoints), or each job's last
run (finished, or unfinished and resumable from a checkpoint) with its
retained checkpoints and savepoint versions.

options:
  --state-dir DIR   the state directory (e.g. weir-state/wordcount)
  -h, --help        show this help
)";

int usage_error(const std::string& message) {
  std::fprintf(stderr, "%s jobs: %s (try %s jobs --help)\n", program_c(), message.c_str(), program_c());
  return 2;
}

// The job there holds the LevelDB: it answers for itself.
int list_running(const std::string& state_dir, const std::string& status) {
  auto first = status.substr(0, status.find('\n'));
  std::printf("%s (running; weir job status --state-dir %s)\n", first.c_str(), state_dir.c_str());
  return 0;
}

int list_stored(const std::string& state_dir) {
  auto listed = list_checkpoints(state_dir);
  if (!listed) {
    std::fprintf(stderr, "%s jobs: %s\n", program_c(), listed.error_value().message().c_str());
    return 1;
  }
  auto savepoints = list_savepoints(state_dir);
  if (!savepoints) {
    std::fprintf(stderr, "%s jobs: %s\n", program_c(), savepoints.error_value().message().c_str());
    return 1;
  }
  std::map<std::string, std::pair<uint64_t, uint64_t>> kept; // job -> retained checkpoints, latest
  for (const auto& c : listed->second)
    if (c.completed && c.retained) {
      auto& k = kept[c.job];
      ++k.first;
      k.second = std::max(k.second, c.id);
    }
  std::map<std::string, size_t> versions;
  for (const auto& s : *savepoints) ++versions[s.job];
  if (listed->first.empty() && versions.empty()) std::printf("no jobs in %s\n", state_dir.c_str());
  for (const auto& run : listed->first) {
    auto k = kept[run.job];
    std::string how = run.finished ? "finished" : k.first > 0 ? "unfinished: resumes from checkpoint "
                                                                  + std::to_string(k.second) + " when run again"
                                                              : "unfinished, without a checkpoint";
    std::printf("job %s: %s; %llu retained checkpoint(s), %zu savepoint version(s)\n", run.job.c_str(),
                how.c_str(), static_cast<unsigned long long>(k.first), versions[run.job]);
    versions.erase(run.job);
  }
  for (const auto& [job, n] : versions) std::printf("job %s: no run recorded; %zu savepoint version(s)\n", job.c_str(), n);
  return 0;
}

} // namespace

int jobs_command(int argc, char** argv, int first) {
  auto args = parse_cli(argc, argv, first, {"state-dir"});
  if (!args) return usage_error(args.error_value().message());
  if (args->help) {
    std::fputs(for_program(jobs_usage).c_str(), stdout);
    return 0;
  }
  if (args->positional.size() != 1 || args->positional[0] != "list") return usage_error("say list");
  if (!args->has("state-dir")) return usage_error("--state-dir is required");
  auto dir = args->get("state-dir");
  auto status = control_job(dir, "status");
  if (status) return list_running(dir, *status);
  return list_stored(dir);
}

} // namespace weir::apps
