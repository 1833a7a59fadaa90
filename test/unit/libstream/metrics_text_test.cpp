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
           R"(checkpoints_failed=0i,frames_rejected=0i,records_in=0i,records_out=0i,)"
           R"(records_in_per_s=0,records_out_per_s=0,late_records=0i,queued_frames=0i,)"
           R"(backpressured_tasks=0i 1700000000000000000)");
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

TEST_CASE("metrics json gives tasks, channels, checkpoints and the bottleneck, null where nothing "
          "is known",
          "[unit][metrics]") {
  auto m = two_tasks();
  m.channels = {{0, 1}};
  auto json = metrics_json(m);
  CHECK(json.rfind(R"({"job":"word count","wall_ms":1700000000000,"attempt":2,"restarts":1,)", 0)
        == 0);
  CHECK(json.find(R"("bottleneck":1,)") != std::string::npos);
  CHECK(json.find(R"("channels":[[0,1]])") != std::string::npos);
  CHECK(json.find(R"("name":"split->count[0/2]")") != std::string::npos);
  CHECK(json.find(R"("watermark":1699999998500,"watermark_lag_s":1.5,"end_of_input":false)")
        != std::string::npos);
  CHECK(json.find(R"("watermark":null,"watermark_lag_s":null,"end_of_input":false)")
        != std::string::npos);
  CHECK(
      json.find(
          R"("checkpoints":[{"id":4,"started_ms":1699999990000,"duration_ms":250,"alignment_us":1500,)"
          R"("bytes":4096}])")
      != std::string::npos);
  m.bottleneck.reset();
  m.job = "q\"\\\n";
  json = metrics_json(m);
  CHECK(json.find(R"("bottleneck":null,)") != std::string::npos);
  CHECK(json.rfind(R"({"job":"q\"\\\n",)", 0) == 0);
}

namespace {

/// source[0] and source[1] feed sink[0]; a third task did not answer.
job_metrics source_to_sink() {
  job_metrics m;
  m.job = "j";
  m.wall_ms = 10'000;
  auto task = [](const char* uid, uint32_t subtask, uint64_t in, uint64_t out) {
    task_metrics t;
    t.operator_uid = uid;
    t.subtask = subtask;
    t.running = true;
    t.records_in = in;
    t.records_out = out;
    t.records_in_per_s = static_cast<double>(in) / 10;
    t.records_out_per_s = static_cast<double>(out) / 10;
    return t;
  };
  m.tasks = {task("source", 0, 0, 100), task("source", 1, 0, 50), task("sink", 0, 140, 0),
             task("sink", 1, 999, 0)};
  m.tasks[3].running = false; // restarting: left out
  m.tasks[0].backpressured_share = 0.6;
  m.tasks[1].backpressured_share = 0.5; // not over half
  m.tasks[2].queued_frames = 3;
  m.tasks[2].late_records = 2;
  m.tasks[0].watermark = 9'000;
  m.tasks[2].watermark = 7'500;
  m.channels = {{0, 2}, {1, 2}, {0, 3}, {1, 3}};
  return m;
}

} // namespace

TEST_CASE("the job rolls up as records in through its sources and out through its sinks",
          "[unit][metrics]") {
  auto m = source_to_sink();
  auto r = rollup(m);
  CHECK(r.records_in == 150);
  CHECK(r.records_in_per_s == Approx(15));
  CHECK(r.records_out == 140); // the sink that did not answer is not counted
  CHECK(r.records_out_per_s == Approx(14));
  CHECK(r.late_records == 2);
  CHECK(r.queued_frames == 3);
  CHECK(r.backpressured_tasks == 1);
  CHECK(r.running_tasks == 3);
  CHECK(r.watermark == 7'500);
  m.tasks[2].watermark = INT64_MIN; // a sink without a watermark holds the job's back
  CHECK(rollup(m).watermark == INT64_MIN);
  m.tasks[2].running = false;
  CHECK(rollup(m).watermark == INT64_MIN); // no sink answered
  CHECK(rollup(m).records_out == 0);
}

TEST_CASE("the job's roll-up is reported to Prometheus, InfluxDB and the dashboard",
          "[unit][metrics]") {
  auto m = source_to_sink();
  auto text = prometheus_text(m);
  CHECK(lines_starting(text, "weir_job_records_in_total{")[0]
        == R"(weir_job_records_in_total{job="j"} 150)");
  CHECK(lines_starting(text, "weir_job_records_out_total{")[0]
        == R"(weir_job_records_out_total{job="j"} 140)");
  CHECK(lines_starting(text, "weir_job_watermark_lag_seconds{")[0]
        == R"(weir_job_watermark_lag_seconds{job="j"} 2.5)");
  CHECK(lines_starting(text, "weir_job_backpressured_tasks{")[0]
        == R"(weir_job_backpressured_tasks{job="j"} 1)");
  auto job = lines_starting(influx_lines(m), "weir_job,")[0];
  CHECK(job.find(",records_in=150i,records_out=140i,records_in_per_s=15,records_out_per_s=14,"
                 "late_records=2i,queued_frames=3i,backpressured_tasks=1i,watermark_ms=7500i,"
                 "watermark_lag_s=2.5 ")
        != std::string::npos);
  auto json = metrics_json(m);
  CHECK(json.find(
            R"("rollup":{"records_in":150,"records_out":140,"records_in_per_s":15,)"
            R"("records_out_per_s":14,"late_records":2,"queued_frames":3,)"
            R"("backpressured_tasks":1,"running_tasks":3,"watermark":7500,"watermark_lag_s":2.5})")
        != std::string::npos);
  m.tasks[2].watermark = INT64_MIN;
  CHECK(lines_starting(prometheus_text(m), "weir_job_watermark_lag_seconds{").empty());
}
