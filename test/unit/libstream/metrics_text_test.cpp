#include <catch2/catch.hpp>

#include <sstream>

#include "weir/metrics.hpp"

using namespace weir;

namespace {

job_metrics two_tasks() {
  job_metrics m;
  m.job = "word count";
  m.wall_ms = 1'700'000'000'000;
  m.attempt = 2;
  m.restarts = 1;
  m.checkpoints_completed = 3;
  task_metrics a;
  a.operator_uid = "split->count";
  a.subtask = 0;
  a.parallelism = 2;
  a.records_in = 10;
  a.busy_ns = 1'500'000'000;
  a.busy_share = 0.75;
  a.watermark = 1'699'999'998'500;
  task_metrics b = a;
  b.subtask = 1;
  b.watermark = INT64_MIN;
  b.records_in = 7;
  m.tasks = {a, b};
  m.bottleneck = 1;
  m.checkpoints = {{4, 1'699'999'990'000, 250, 1500, 4096}};
  return m;
}

/// The lines of `text` that start with `prefix`.
std::vector<std::string> lines_starting(const std::string& text, const std::string& prefix) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (line.rfind(prefix, 0) == 0) out.push_back(line);
  return out;
}

} // namespace

TEST_CASE("prometheus text gives each task's counters with job, operator and subtask labels",
          "[unit][metrics]") {
  auto text = prometheus_text(two_tasks());
  auto records = lines_starting(text, "weir_task_records_in_total{");
  REQUIRE(records.size() == 2);
  CHECK(
      records[0]
      == R"(weir_task_records_in_total{job="word count",operator="split->count",subtask="0"} 10)");
  CHECK(records[1]
        == R"(weir_task_records_in_total{job="word count",operator="split->count",subtask="1"} 7)");
  CHECK(lines_starting(text, "# TYPE weir_task_records_in_total counter").size() == 1);
  CHECK(lines_starting(text, "weir_task_busy_seconds_total{")[0].substr(
            lines_starting(text, "weir_task_busy_seconds_total{")[0].rfind(' ') + 1)
        == "1.5");
  CHECK(lines_starting(text, "weir_job_restarts_total{")[0]
        == R"(weir_job_restarts_total{job="word count"} 1)");
  CHECK(lines_starting(text, "weir_job_last_checkpoint_duration_seconds{")[0]
        == R"(weir_job_last_checkpoint_duration_seconds{job="word count"} 0.25)");
}

TEST_CASE("prometheus text gives a watermark and its lag only once a task has one",
          "[unit][metrics]") {
  auto text = prometheus_text(two_tasks());
  auto lag = lines_starting(text, "weir_task_watermark_lag_seconds{");
  REQUIRE(lag.size() == 1); // subtask 1 has no watermark yet
  CHECK(
      lag[0]
      == R"(weir_task_watermark_lag_seconds{job="word count",operator="split->count",subtask="0"} 1.5)");
  auto m = two_tasks();
  m.tasks[1].watermark = INT64_MAX;
  auto ended = lines_starting(prometheus_text(m), "weir_task_watermark_seconds{");
  REQUIRE(ended.size() == 2);
  CHECK(ended[1].substr(ended[1].rfind(' ') + 1) == "+Inf");
}

TEST_CASE("prometheus text marks exactly the bottleneck task", "[unit][metrics]") {
  auto marks = lines_starting(prometheus_text(two_tasks()), "weir_task_bottleneck{");
  REQUIRE(marks.size() == 2);
  CHECK(marks[0].back() == '0');
  CHECK(marks[1].back() == '1');
}

TEST_CASE("prometheus label values escape backslash, quote and newline", "[unit][metrics]") {
  auto m = two_tasks();
  m.job = "a\"b\\c\nd";
  auto line = lines_starting(prometheus_text(m), "weir_job_attempt{");
  REQUIRE(line.size() == 1);
  CHECK(line[0] == R"(weir_job_attempt{job="a\"b\\c\nd"} 2)");
}

TEST_CASE("influx lines give a point per task, one for the job and one per checkpoint",
          "[unit][metrics]") {
  auto text = influx_lines(two_tasks());
  auto tasks = lines_starting(text, "weir_task,");
  REQUIRE(tasks.size() == 2);
  CHECK(tasks[0].rfind(
            R"(weir_task,job=word\ count,operator=split->count,subtask=0 records_in=10i,)", 0)
        == 0);
  CHECK(tasks[0].find("watermark_ms=1699999998500i,watermark_lag_s=1.5 ") != std::string::npos);
  CHECK(tasks[1].find("watermark") == std::string::npos);
  CHECK(tasks[1].find(",bottleneck=1i") != std::string::npos);
  CHECK(tasks[0].find(",bottleneck=0i") != std::string::npos);
  CHECK(tasks[0].substr(tasks[0].rfind(' ') + 1) == "1700000000000000000");
  auto job = lines_starting(text, "weir_job,");
  REQUIRE(job.size() == 1);
  CHECK(job[0]
        == R"(weir_job,job=word\ count attempt=2i,restarts=1i,checkpoints_completed=3i,)"
           R"(checkpoints_failed=0i,frames_rejected=0i 1700000000000000000)");
  auto checkpoints = lines_starting(text, "weir_checkpoint,");
  REQUIRE(checkpoints.size() == 1);
  CHECK(checkpoints[0]
        == R"(weir_checkpoint,job=word\ count id=4i,duration_ms=250i,alignment_us=1500i,)"
           R"(bytes=4096i 1699999990000000000)");
}

TEST_CASE("influx tags escape comma, equals sign and space, and never carry a newline",
          "[unit][metrics]") {
  auto m = two_tasks();
  m.job = "a,b=c d\ne";
  auto job = lines_starting(influx_lines(m), "weir_job,");
  REQUIRE(job.size() == 1);
  CHECK(job[0].rfind(R"(weir_job,job=a\,b\=c\ d\ e attempt=2i)", 0) == 0);
}

TEST_CASE("metrics json gives tasks, channels, checkpoints and the bottleneck, null where nothing is known",
          "[unit][metrics]") {
  auto m = two_tasks();
  m.channels = {{0, 1}};
  auto json = metrics_json(m);
  CHECK(json.rfind(R"({"job":"word count","wall_ms":1700000000000,"attempt":2,"restarts":1,)", 0) == 0);
  CHECK(json.find(R"("bottleneck":1,)") != std::string::npos);
  CHECK(json.find(R"("channels":[[0,1]])") != std::string::npos);
  CHECK(json.find(R"("name":"split->count[0/2]")") != std::string::npos);
  CHECK(json.find(R"("watermark":1699999998500,"watermark_lag_s":1.5,"end_of_input":false)") != std::string::npos);
  CHECK(json.find(R"("watermark":null,"watermark_lag_s":null,"end_of_input":false)") != std::string::npos);
  CHECK(json.find(R"("checkpoints":[{"id":4,"started_ms":1699999990000,"duration_ms":250,"alignment_us":1500,)"
                  R"("bytes":4096}])")
        != std::string::npos);
  m.bottleneck.reset();
  m.job = "q\"\\\n";
  json = metrics_json(m);
  CHECK(json.find(R"("bottleneck":null,)") != std::string::npos);
  CHECK(json.rfind(R"({"job":"q\"\\\n",)", 0) == 0);
}
