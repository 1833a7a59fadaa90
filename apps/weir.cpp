// The weir command line: runs sample jobs, node daemons and benchmarks.

#include <cstdio>
#include <string>

#include "commands.hpp"
#include "jobs/connector_jobs.hpp"
#include "jobs/wordcount.hpp"
#include "nexmark/queries.hpp"

namespace {

const char* usage = R"(usage: weir <command> [options]

Weir runs stateful stream-processing jobs embedded in one process, or spread
over node daemons.

commands:
  run <job>        run a sample job (weir run --help lists jobs and options)
  nexmark          run a Nexmark query over generated events or a JSON-lines file (weir nexmark --help)
  checkpoints      list or verify a state directory's checkpoints
                   (weir checkpoints --help)
  state query      an operator's keyed state in a checkpoint, as JSON lines,
                   without the job (weir state --help)
  job              status, cancel or stop (with a savepoint) the job running
                   on a state directory (weir job --help)
  jobs list        the jobs of a state directory: running, or resumable, with
                   their checkpoints and savepoints (weir jobs --help)
  savepoint        create, list, inspect or delete savepoints
                   (weir savepoint --help)
  node             serve tasks of jobs for a coordinator (weir node --help)
  bench pipeline   measure generator -> map -> filter -> sink against a
                   hand-written loop (weir bench --help)
  bench checkpoint what checkpoints cost: jobs with and without them
                   (weir bench checkpoint --help)
  bench nodes      Nexmark across two node processes against one process
                   (weir bench nodes --help)
  bench metrics    what live metrics and their reporters cost, off against on
                   (weir bench metrics --help)

options:
  -h, --help       show this help
)";

} // namespace

int main(int argc, char** argv) {
  weir::apps::register_wordcount();
  weir::apps::register_connector_jobs();
  weir::nexmark::register_nexmark();
  if (argc < 2) {
    std::fputs(usage, stderr);
    return 2;
  }
  std::string command = argv[1];
  if (command == "--help" || command == "-h" || command == "help") {
    std::fputs(usage, stdout);
    return 0;
  }
  if (command == "run") return weir::apps::run_command(argc, argv, 2);
  if (command == "node") return weir::apps::node_command(argc, argv, 2);
  if (command == "bench") return weir::apps::bench_command(argc, argv, 2);
  if (command == "nexmark") return weir::apps::nexmark_command(argc, argv, 2);
  if (command == "checkpoints") return weir::apps::checkpoints_command(argc, argv, 2);
  if (command == "state") return weir::apps::state_command(argc, argv, 2);
  if (command == "job") return weir::apps::job_command(argc, argv, 2);
  if (command == "savepoint") return weir::apps::savepoint_command(argc, argv, 2);
  if (command == "jobs") return weir::apps::jobs_command(argc, argv, 2);
  std::fprintf(stderr, "weir: unknown command '%s' (try weir --help)\n", command.c_str());
  return 2;
}
