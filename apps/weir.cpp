// The weir command line: weir::main with the sample jobs, Nexmark and the
// benchmarks.

#include <filesystem>
#include <string>

#include "commands.hpp"
#include "fraud_detection.hpp"
#include "jobs/connector_jobs.hpp"
#include "jobs/event_vs_processing_time.hpp"
#include "jobs/iot_sensors.hpp"
#include "jobs/sessionization.hpp"
#include "jobs/wordcount.hpp"
#include "nexmark/queries.hpp"
#include "weir/main.hpp"

namespace {

/// The sample text: installed with the binary (BINDIR/WEIR_INSTALLED_DATA,
/// PREFIX/share/weir by default), else the source tree's it was built from.
std::string sample_text() {
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  auto installed = exe.parent_path() / WEIR_INSTALLED_DATA / "sample.txt";
  if (!ec && std::filesystem::is_regular_file(installed, ec)) return installed.string();
  return WEIR_SAMPLE_TEXT;
}

} // namespace

int main(int argc, char** argv) {
  auto sample = sample_text();
  weir::apps::register_wordcount(sample);
  weir::apps::register_connector_jobs(sample);
  weir::nexmark::register_nexmark();
  fraud::register_fraud_detection();
  weir::apps::sessions::register_sessionization();
  weir::apps::iot::register_iot_sensors();
  weir::apps::evp::register_event_vs_processing_time();
  return weir::main(
      argc, argv,
      {{"nexmark", "run a Nexmark query over generated events or a JSON-lines file (nexmark --help)",
        weir::apps::nexmark_command},
       {"bench", "measure Weir against hand-written loops and plain clients: pipeline, checkpoint,\n"
                 "                   nexmark, nodes, metrics, redis, postgres, kafka (bench --help)",
        weir::apps::bench_command}});
}
