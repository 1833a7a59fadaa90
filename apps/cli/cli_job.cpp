// weir job status|cancel --state-dir DIR: a running job, through its control endpoint.

#include <cstdio>
#include <string>

#include "cli_args.hpp"
#include "cli_commands.hpp"
#include "weir/control.hpp"

namespace weir::apps {

namespace {

const char* job_usage = R"(usage: weir job status|cancel --state-dir DIR
       weir job stop --state-dir DIR --savepoint [--name NAME] [--timeout-ms N]

Reaches the job running on a state directory through its control endpoint
(127.0.0.1 only; the job writes its port and a token there, the token readable
by its owner only, so only a user who can read the state directory controls
the job).

commands:
  status   the job's attempt, restarts, checkpoints and each task's phase
  cancel   stops the job: it ends with "cancelled" and exit code 1; committed
           output stays, uncommitted output stays hidden, and a later run on
           the state directory resumes from its latest checkpoint
  stop     takes a savepoint (the next version of NAME), then stops the job
           (exit code 0): its output is committed up to the savepoint and
           nothing after it, so a later run (resuming, or --from-savepoint)
           goes on with nothing lost or duplicated

options:
  --state-dir DIR   the job's state directory (e.g. weir-state/wordcount)
  --savepoint       stop: with a savepoint (required: a stop always takes one)
  --name NAME       stop: the savepoint's name (default: savepoint)
  --timeout-ms N    stop: how long to wait for the savepoint (default 600000)
  -h, --help        show this help
)";

int usage_error(const std::string& message) {
  std::fprintf(stderr, "%s job: %s (try %s job --help)\n", program_c(), message.c_str(), program_c());
  return 2;
}

} // namespace

int job_command(int argc, char** argv, int first) {
  auto args = parse_cli(argc, argv, first, {"state-dir", "name", "timeout-ms"}, {"savepoint"});
  if (!args) return usage_error(args.error_value().message());
  if (args->help) {
    std::fputs(for_program(job_usage).c_str(), stdout);
    return 0;
  }
  if (args->positional.size() != 1) return usage_error("say status, cancel or stop");
  const auto& what = args->positional[0];
  if (what != "status" && what != "cancel" && what != "stop") return usage_error("unknown job command '" + what + "'");
  if (!args->has("state-dir")) return usage_error("--state-dir is required");
  bool stop = what == "stop";
  if (stop && !args->has("savepoint")) return usage_error("job stop takes a savepoint: say --savepoint");
  if (!stop && (args->has("savepoint") || args->has("name") || args->has("timeout-ms")))
    return usage_error("--savepoint, --name and --timeout-ms go with job stop");
  auto timeout = args->get_number("timeout-ms", stop ? 600000 : 10000, 1000, 86400000);
  if (!timeout) return usage_error(timeout.error_value().message());
  auto command = stop ? "stop " + args->get("name", "savepoint") : what;
  auto answer = control_job(args->get("state-dir"), command, *timeout);
  if (!answer) {
    std::fprintf(stderr, "%s job: %s\n", program_c(), answer.error_value().message().c_str());
    return 1;
  }
  std::fputs(answer->c_str(), stdout);
  if (!answer->empty() && answer->back() != '\n') std::fputc('\n', stdout);
  return 0;
}

} // namespace weir::apps
