// The event-vs-processing-time sample against a real InfluxDB: event-time
// counts exact (50, 100, 200 a second) through a catch-up, an outage and
// its burst; processing-time counts distorted as they must be; the Grafana
// dashboard's queries valid. The savepoint upgrade and the reprocessing are
// tested by the walk-through script itself (ctest
// samples.event_vs_processing_time_walkthrough).

#include <catch2/catch.hpp>

#include <fstream>
#include <iterator>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include "jobs/event_vs_processing_time.hpp"
#include "support/process.hpp"
#include "support/servers.hpp"
#include "support/temp_dir.hpp"
#include "weir/job_registry.hpp"
#include "weir/stream.hpp"

namespace evp = weir::apps::evp;

namespace {

using points = std::vector<std::pair<int64_t, double>>; // time (ms), value

/// `field` of every point of one domain and device, oldest first.
points query_points(weir::test::influxdb_server& influx, const std::string& field, const std::string& domain,
                    const std::string& device) {
  auto answer = influx.query("weir_demo&epoch=ms", "SELECT \"" + field + "\" FROM \"events_per_second\" WHERE \"domain\" = '"
                                                       + domain + "' AND \"device\" = '" + device + "'");
  REQUIRE(answer);
  REQUIRE(answer->find("\"error\"") == std::string::npos);
  points out;
  static const std::regex value(R"(\[([0-9]+),([-0-9.e]+)\])");
  for (std::sregex_iterator i(answer->begin(), answer->end(), value), end; i != end; ++i)
    out.emplace_back(std::stoll((*i)[1].str()), std::stod((*i)[2].str()));
  return out;
}

/// Every event-time window of every device holds exactly the device's rate,
/// one window a second with none missing, `windows` of them.
void check_event_counts_exact(weir::test::influxdb_server& influx, size_t windows) {
  for (int64_t device = 0; device < evp::device_count; ++device) {
    auto counts = query_points(influx, "count", "event", evp::device_name(device));
    INFO("device " << evp::device_name(device));
    REQUIRE(counts.size() == windows);
    for (size_t i = 0; i < counts.size(); ++i) {
      CHECK(counts[i].second == evp::rate(device));
      if (i > 0) CHECK(counts[i].first - counts[i - 1].first == 1000);
    }
  }
}

double total(const points& p) {
  double sum = 0;
  for (const auto& x : p) sum += x.second;
  return sum;
}


/// The InfluxQL of every panel and variable of the sample's Grafana
/// dashboard, with Grafana's macros filled in as Grafana would.
std::vector<std::string> dashboard_queries() {
  std::ifstream in(WEIR_GRAFANA_DIR "/event-vs-processing-time.json");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> out;
  std::regex value(R"re("query":\s*"((?:[^"\\]|\\.)*)")re");
  for (std::sregex_iterator i(text.begin(), text.end(), value), end; i != end; ++i) {
    auto q = std::regex_replace((*i)[1].str(), std::regex(R"(\\(.))"), "$1");
    q = std::regex_replace(q, std::regex(R"(\$timeFilter)"), "time > 0");
    q = std::regex_replace(q, std::regex(R"(/\^\$device\$/)"), "/.*/");
    if (q != "influxdb") out.push_back(q); // the data source variable's type
  }
  return out;
}

} // namespace

TEST_CASE("event-vs-processing-time into InfluxDB: event-time counts exact through catch-up, "
          "outage and burst, processing-time counts swell, vanish and spike",
          "[integration][samples][servers]") {
  REQUIRE(weir::test::installed("influxd")); // .ci/install-deps installs it
  weir::test::influxdb_server influx;
  REQUIRE(influx.ready(30000));
  evp::register_event_vs_processing_time();
  weir::environment env;
  // 20 s of history read at 10x (about 2.2 s), live until 10 s after the
  // start, nothing delivered from 4 s to 7 s.
  REQUIRE_FALSE(weir::build_registered_job(
      env, "event-vs-processing-time",
      {{"history-s", "20"}, {"catch-up", "10"}, {"outage-at-s", "4"}, {"outage-s", "3"}, {"run-s", "10"},
       {"version", "1"}, {"influx", influx.url()}, {"influx-db", "weir_demo"}, {"output", ""},
       {"parallelism", "2"}}));
  auto result = env.execute("event-vs-processing-time");
  INFO(result.failure.to_string());
  REQUIRE(result.ok());
  check_event_counts_exact(influx, 30);
  for (int64_t device = 0; device < evp::device_count; ++device) {
    INFO("device " << evp::device_name(device));
    auto rate = static_cast<double>(evp::rate(device));
    auto by_processing = query_points(influx, "count", "processing", evp::device_name(device));
    REQUIRE(by_processing.size() >= 4);
    CHECK(total(by_processing) == 30 * rate); // every event counted once, somewhere
    // The catch-up: 10 seconds of events in a second of processing time.
    double highest = 0;
    for (const auto& p : by_processing) highest = std::max(highest, p.second);
    CHECK(highest >= 5 * rate);
    // The outage: at least two whole seconds with nothing; after it, the
    // three held-back seconds arrive in the next two windows.
    size_t gap = 0;
    for (size_t i = 1; i < by_processing.size(); ++i)
      if (by_processing[i].first - by_processing[i - 1].first >= 3000) gap = i;
    REQUIRE(gap > 0);
    double burst = by_processing[gap].second + (gap + 1 < by_processing.size() ? by_processing[gap + 1].second : 0);
    CHECK(burst >= 3 * rate);
  }
  // Every query of the sample's Grafana dashboard is valid InfluxQL, and has
  // data but for version 2's delay and Weir's own metrics (not pushed here).
  auto queries = dashboard_queries();
  CHECK(queries.size() == 5);
  for (const auto& q : queries) {
    auto a = influx.query("weir_demo", q);
    INFO(q << " -> " << a.value_or("(no answer)"));
    REQUIRE(a);
    CHECK(a->find("\"error\"") == std::string::npos);
    bool may_be_empty = q.find("avg_delay_ms") != std::string::npos || q.find("weir_task") != std::string::npos;
    if (!may_be_empty) CHECK(a->find("\"series\"") != std::string::npos);
  }
}
