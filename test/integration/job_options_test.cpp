// A job binary whose jobs' options clash with weir run's own, or with each
// other (a flag in one job, valued in another), is refused with the clash
// named: such a command line cannot be read right.

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "cli_commands.hpp"
#include "fraud_detection.hpp"
#include "jobs/connector_jobs.hpp"
#include "jobs/event_vs_processing_time.hpp"
#include "jobs/iot_sensors.hpp"
#include "jobs/sessionization.hpp"
#include "jobs/wordcount.hpp"
#include "nexmark/queries.hpp"
#include "weir/job_registry.hpp"

TEST_CASE("job options that clash with weir run's own or with another job's are named",
          "[integration][cli]") {
  auto build = [](weir::environment&, const weir::job_args&) { return weir::error{}; };
  // Every job the weir command registers: none clashes.
  weir::apps::register_wordcount("sample.txt");
  weir::apps::register_connector_jobs("sample.txt");
  weir::nexmark::register_nexmark();
  fraud::register_fraud_detection();
  weir::apps::sessions::register_sessionization();
  weir::apps::iot::register_iot_sensors();
  weir::apps::evp::register_event_vs_processing_time();
  REQUIRE(weir::registered_jobs().size() >= 9);
  CHECK(weir::apps::job_option_clashes().empty());
  weir::job_info a;
  a.options = {{"state-dir", "x", "where my state goes"}};
  weir::register_job("clash-a", build, a);
  weir::job_info b;
  b.options = {{"mode", "", "a flag here", true}};
  weir::register_job("clash-b", build, b);
  weir::job_info c;
  c.options = {{"mode", "fast", "a value here"}};
  weir::register_job("clash-c", build, c);
  auto clashes = weir::apps::job_option_clashes();
  CHECK(clashes == std::vector<std::string>{
                       "job 'clash-a' declares --state-dir, which weir run takes itself",
                       "--mode is a flag of job 'clash-b' but takes a value in job 'clash-c'"});
}
