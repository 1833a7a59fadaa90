// weir::main: the command line a job binary gets from one call.

#include "weir/main.hpp"

#include <cstdio>
#include <cstring>
#include <string>

#include "cli_args.hpp"
#include "cli_commands.hpp"
#include "weir/version.hpp"

namespace weir {

namespace {

const char* usage_head = R"(usage: %s <command> [options]

Runs stateful stream-processing jobs embedded in one process, or spread over
node daemons (Weir %s).

commands:
  run <job>        run a job of this binary (run --help lists them and their options)
  node             serve tasks of jobs for a coordinator (node --help)
  checkpoints      list or verify a state directory's checkpoints (checkpoints --help)
  state query      an operator's keyed state in a checkpoint, as JSON lines,
                   without the job (state --help)
  job              status, cancel or stop (with a savepoint) the job running
                   on a state directory (job --help)
  jobs list        the jobs of a state directory: running, or resumable, with
                   their checkpoints and savepoints (jobs --help)
  savepoint        create, list, inspect or delete savepoints (savepoint --help)
)";

const char* usage_tail = R"(
options:
  --version        print the versions of Weir, its snapshot and checkpoint formats
  -h, --help       show this help
)";

struct builtin {
  const char* name;
  int (*run)(int, char**, int);
};

const builtin builtins[] = {
    {"run", apps::run_command},         {"node", apps::node_command},
    {"checkpoints", apps::checkpoints_command}, {"state", apps::state_command},
    {"job", apps::job_command},         {"jobs", apps::jobs_command},
    {"savepoint", apps::savepoint_command}};

std::string program_name(const char* argv0) {
  const char* slash = std::strrchr(argv0, '/');
  return slash ? slash + 1 : argv0;
}

void print_usage(std::FILE* to, const std::string& program, const std::vector<cli_command>& extra) {
  std::fprintf(to, usage_head, program.c_str(), version);
  for (const auto& c : extra) {
    std::string name = "  " + c.name;
    if (name.size() < 19) name.resize(19, ' ');
    else name += "\n" + std::string(19, ' ');
    std::fprintf(to, "%s%s\n", name.c_str(), c.help.c_str());
  }
  std::fputs(usage_tail, to);
}

} // namespace

int main(int argc, char** argv) { return main(argc, argv, {}); }

int main(int argc, char** argv, const std::vector<cli_command>& extra) {
  auto program = program_name(argc > 0 ? argv[0] : "weir");
  apps::set_program(program);
  if (argc < 2) {
    print_usage(stderr, program, extra);
    return 2;
  }
  std::string command = argv[1];
  if (command == "--help" || command == "-h" || command == "help") {
    print_usage(stdout, program, extra);
    return 0;
  }
  if (command == "--version") {
    std::printf("%s: Weir %s (snapshot format %u, checkpoint format %u)\n", program.c_str(), version,
                snapshot_format_version, checkpoint_format_version);
    return 0;
  }
  for (const auto& b : builtins)
    if (command == b.name) return b.run(argc, argv, 2);
  for (const auto& c : extra)
    if (command == c.name) return c.run(argc, argv, 2);
  std::fprintf(stderr, "%s: unknown command '%s' (try %s --help)\n", program.c_str(),
               command.c_str(), program.c_str());
  return 2;
}

} // namespace weir
