// weir job status|cancel --state-dir DIR: a running job, through its control endpoint.

#include <cstdio>
#include <string>

#include "cli_args.hpp"
#include "commands.hpp"
#include "weir/control.hpp"

namespace weir::apps {

namespace {

const char* job_usage = R"(usage: weir job status|cancel --state-dir DIR

Reaches the job running on a state directory through its control endpoint
(127.0.0.1 only; the job writes its port and a token there, the token readable
by its owner only, so only a user who can read the state directory controls
the job).

commands:
  status   the job's attempt, restarts, checkpoints and each task's phase
  cancel   stops the job: it ends with "cancelled" and exit code 1; committed
           output stays, uncommitted output stays hidden, and a later run on
           the state directory resumes from its latest checkpoint

options:
  --state-dir DIR   the job's state directory (e.g. weir-state/wordcount)
  -h, --help        show this help
)";

int usage_error(const std::string& message) {
  std::fprintf(stderr, "weir job: %s (try weir job --help)\n", message.c_str());
  return 2;
}

} // namespace

int job_command(int argc, char** argv, int first) {
  auto args = parse_cli(argc, argv, first, {"state-dir"});
  if (!args) return usage_error(args.error_value().message());
  if (args->help) {
    std::fputs(job_usage, stdout);
    return 0;
  }
  if (args->positional.size() != 1) return usage_error("say status or cancel");
  const auto& what = args->positional[0];
  if (what != "status" && what != "cancel") return usage_error("unknown job command '" + what + "'");
  if (!args->has("state-dir")) return usage_error("--state-dir is required");
  auto answer = control_job(args->get("state-dir"), what);
  if (!answer) {
    std::fprintf(stderr, "weir job: %s\n", answer.error_value().message().c_str());
    return 1;
  }
  std::fputs(answer->c_str(), stdout);
  if (!answer->empty() && answer->back() != '\n') std::fputc('\n', stdout);
  return 0;
}

} // namespace weir::apps
