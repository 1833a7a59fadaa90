#include <catch2/catch.hpp>

#include <cstdio>
#include <string>

#include "progress.hpp"

using namespace weir;

namespace {

job_metrics running_job() {
  job_metrics m;
  m.job = "wordcount";
  m.wall_ms = 1'700'000'002'100;
  task_metrics source;
  source.operator_uid = "lines";
  source.running = true;
  source.records_out = 1'200'000;
  source.records_out_per_s = 340'100;
  source.watermark = INT64_MIN;
  task_metrics count = source;
  count.operator_uid = "count";
  count.records_out = 5'000'000; // not read: fed by the source
  count.watermark = 1'700'000'000'000;
  m.tasks = {source, count};
  m.channels = {{0, 1}};
  m.checkpoints = {{12, 0, 30, 0, 1'258'291}};
  return m;
}

std::string read_all(std::FILE* f) {
  std::rewind(f);
  std::string out;
  for (int c; (c = std::fgetc(f)) != EOF;)
    out += static_cast<char>(c);
  return out;
}

} // namespace

TEST_CASE("the progress line counts what the sources read, the event time reached and the latest "
          "checkpoint",
          "[unit][progress]") {
  CHECK(
      apps::progress_text(running_job())
      == "wordcount: 1.20M records read (340.1k/s), event time 2023-11-14 22:13:20 (2.1 s behind), "
         "checkpoint 12 (1.2 MiB)");
  auto m = running_job();
  m.tasks[1].watermark = 1'000; // history replayed: no lag said
  m.restarts = 2;
  CHECK(apps::progress_text(m)
        == "wordcount: 1.20M records read (340.1k/s), event time 1970-01-01 00:00:01, checkpoint "
           "12 (1.2 MiB), "
           "2 restart(s)");
}

TEST_CASE("on a terminal the progress line is rewritten in place, elsewhere a plain line comes at "
          "most once a period",
          "[unit][progress]") {
  std::FILE* tty = std::tmpfile();
  {
    apps::progress_printer p(tty, true);
    p.print(running_job());
    p.print(running_job());
    p.finish();
  }
  auto line = apps::progress_text(running_job());
  CHECK(read_all(tty) == "\r\033[K" + line + "\r\033[K" + line + "\n");
  std::fclose(tty);
  std::FILE* log = std::tmpfile();
  {
    apps::progress_printer p(log, false, std::chrono::hours(1));
    p.print(running_job()); // within the first period: nothing yet
    p.finish();
  }
  CHECK(read_all(log).empty());
  {
    apps::progress_printer p(log, false, std::chrono::milliseconds(0));
    p.print(running_job());
    p.finish();
  }
  CHECK(read_all(log) == "weir: progress: " + line + "\n");
  std::fclose(log);
}
