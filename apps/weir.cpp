// The weir command line: weir::main with the sample jobs, Nexmark and the
// benchmarks.

#include "commands.hpp"
#include "fraud_detection.hpp"
#include "jobs/connector_jobs.hpp"
#include "jobs/wordcount.hpp"
#include "nexmark/queries.hpp"
#include "weir/main.hpp"

int main(int argc, char** argv) {
  weir::apps::register_wordcount(WEIR_SAMPLE_TEXT);
  weir::apps::register_connector_jobs(WEIR_SAMPLE_TEXT);
  weir::nexmark::register_nexmark();
  fraud::register_fraud_detection();
  return weir::main(
      argc, argv,
      {{"nexmark", "run a Nexmark query over generated events or a JSON-lines file (nexmark --help)",
        weir::apps::nexmark_command},
       {"bench", "measure Weir against hand-written loops and plain clients: pipeline, checkpoint,\n"
                 "                   nexmark, nodes, metrics, redis, postgres, kafka (bench --help)",
        weir::apps::bench_command}});
}
