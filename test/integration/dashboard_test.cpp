// The web dashboard (issue 10), in Debian's headless Chromium: the page
// loads without errors, draws the job graph, and the numbers it shows are
// the numbers the metrics endpoint serves. The job's counters are frozen
// (its source emits a fixed number of records, then stays idle), so the
// page and the endpoint can be compared exactly. A screenshot is kept in
// the build tree's test-artifacts directory.

#include <catch2/catch.hpp>

#include <atomic>
#include <filesystem>
#include <future>
#include <map>
#include <regex>
#include <string>
#include <thread>

#include "support/process.hpp"
#include "support/servers.hpp"
#include "support/temp_dir.hpp"
#include "weir/control.hpp"
#include "weir/sinks.hpp"
#include "weir/stream.hpp"

using namespace weir;

namespace {

/// Emits 0 .. count-1, then is idle until the job is cancelled.
class then_idle final : public source_function<uint64_t> {
public:
  explicit then_idle(uint64_t count) : count_(count) {}
  source_status poll(emitter<uint64_t>& out, size_t max_records) override {
    for (size_t n = 0; n < max_records && next_ < count_; ++n)
      out.emit(next_++);
    return next_ < count_ ? source_status::more : source_status::idle;
  }
  bool has_position() const override { return true; }
  void write_position(byte_writer& out) const override { out.put_varint(next_); }
  void read_position(byte_reader& in) override { next_ = in.get_varint(); }

private:
  uint64_t count_;
  uint64_t next_ = 0;
};

/// records_in per task name ("out[0/1]") as the Prometheus text gives it.
std::map<std::string, std::string> records_in_served(const std::string& text) {
  std::map<std::string, std::string> out;
  std::regex sample(
      R"re(weir_task_records_in_total\{job="[^"]*",operator="([^"]+)",subtask="([0-9]+)"\} ([0-9]+))re");
  for (std::sregex_iterator i(text.begin(), text.end(), sample), end; i != end; ++i)
    out[(*i)[1].str() + "[" + (*i)[2].str() + "/1]"] = (*i)[3].str();
  return out;
}

/// records_in per task name as the page's task table shows it.
std::map<std::string, std::string> records_in_shown(const std::string& dom) {
  std::map<std::string, std::string> out;
  std::regex row(R"re(<tr[^>]*data-task="([^"]+)"[^>]*>(.*?)</tr>)re");
  std::regex cell(R"re(class="records-in" data-value="([0-9]+)")re");
  for (std::sregex_iterator i(dom.begin(), dom.end(), row), end; i != end; ++i) {
    std::string cells = (*i)[2].str();
    std::smatch c;
    if (std::regex_search(cells, c, cell)) out[(*i)[1].str()] = c[1].str();
  }
  return out;
}

std::vector<std::string> chromium(const std::string& profile, std::vector<std::string> args) {
  std::vector<std::string> argv{"/usr/bin/chromium",
                                "--headless",
                                "--no-sandbox",
                                "--disable-gpu",
                                "--user-data-dir=" + profile,
                                "--enable-logging=stderr",
                                "--v=0"};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

} // namespace

TEST_CASE("the dashboard loads in headless Chromium without errors, draws the job graph, and shows "
          "the numbers "
          "the metrics endpoint serves",
          "[integration][metrics][servers]") {
  REQUIRE(test::installed("chromium")); // .ci/install-deps installs it
  test::temp_dir dir;
  environment env;
  env.options().checkpoints.interval_ms = 300;
  env.options().checkpoints.state_dir = dir.file("state");
  env.options().metrics.interval_ms = 100;
  env.options().metrics.port = 0;
  env.options().metrics.ui_port = 0;
  test::ports_from_log ports;
  env.options().log = ports.callback();
  env.add_source<uint64_t>([] { return std::make_unique<then_idle>(5000); }, "numbers")
      .uid("numbers")
      .map([](uint64_t x) { return std::to_string(2 * x); })
      .uid("double")
      .sink(file_sink(dir.file("out")))
      .uid("out");
  auto run = std::async(std::launch::async, [&env] { return env.execute("dashboard-job"); });
  std::string served;
  bool frozen = false;
  for (int i = 0; i < 300 && !frozen; ++i) { // polled: the endpoint is only known by asking
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (ports.metrics == 0 || ports.ui == 0) continue;
    served = test::http_get(uint16_t(ports.metrics), "/metrics").value_or("");
    frozen = records_in_served(served)["out[0/1]"] == "5000";
  }
  auto url = "http://127.0.0.1:" + std::to_string(ports.ui.load()) + "/";
  auto dom = test::run_command(
      chromium(dir.file("profile"), {"--virtual-time-budget=5000", "--dump-dom", url}));
  served = test::http_get(uint16_t(ports.metrics), "/metrics").value_or("");
  std::string artifacts = WEIR_TEST_ARTIFACTS;
  std::filesystem::create_directories(artifacts);
  auto shot = test::run_command(
      chromium(dir.file("profile2"), {"--virtual-time-budget=5000", "--window-size=1280,800",
                                      "--screenshot=" + artifacts + "/dashboard.png", url}));
  control_job(dir.file("state"), "cancel");
  run.get();
  REQUIRE(frozen);
  INFO(dom.output.substr(0, 4000));
  REQUIRE(dom.exit_code == 0);
  CHECK_THAT(dom.output, Catch::Contains(R"(data-loaded="1")"));
  CHECK_THAT(dom.output, Catch::Contains(R"(data-errors="0")"));
  CHECK_THAT(dom.output, !Catch::Contains("Uncaught"));
  CHECK_THAT(dom.output, !Catch::Contains(":ERROR:CONSOLE"));
  for (const char* op : {"numbers", "double", "out"})
    CHECK_THAT(dom.output, Catch::Contains(std::string("data-operator=\"") + op + "\""));
  auto shown = records_in_shown(dom.output);
  auto expected = records_in_served(served);
  CHECK(shown.size() == 3);
  CHECK(shown == expected);
  CHECK(shown["out[0/1]"] == "5000");
  // The job's roll-up: 5000 in through the source, 5000 out through the sink.
  std::smatch job_in, job_out;
  REQUIRE(std::regex_search(
      served, job_in, std::regex(R"(weir_job_records_in_total\{job="dashboard-job"\} ([0-9]+))")));
  REQUIRE(std::regex_search(
      served, job_out,
      std::regex(R"(weir_job_records_out_total\{job="dashboard-job"\} ([0-9]+))")));
  CHECK(job_in[1].str() == "5000");
  CHECK(job_out[1].str() == "5000");
  CHECK_THAT(dom.output,
             Catch::Contains(R"(class="rollup-in" data-value=")" + job_in[1].str() + "\""));
  CHECK_THAT(dom.output,
             Catch::Contains(R"(class="rollup-out" data-value=")" + job_out[1].str() + "\""));
  CHECK(shot.exit_code == 0);
  CHECK(std::filesystem::file_size(artifacts + "/dashboard.png") > 10000);
}
