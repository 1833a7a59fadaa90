#include <catch2/catch.hpp>

#include "weir/log.hpp"

using namespace weir;

TEST_CASE("a log line gives UTC time to the millisecond, level, job and task, then the message",
          "[unit][log]") {
  log_event e{log_level::warn, "wordcount", "count[0/2]", "attempt 1 failed", 1'700'000'000'123};
  CHECK(format_log_line(e)
        == "2023-11-14T22:13:20.123Z WARN  job=wordcount task=count[0/2] attempt 1 failed");
  e.task.clear();
  e.level = log_level::error;
  CHECK(format_log_line(e) == "2023-11-14T22:13:20.123Z ERROR job=wordcount attempt 1 failed");
  e.job.clear();
  e.level = log_level::info;
  e.wall_ms = 5;
  CHECK(format_log_line(e) == "1970-01-01T00:00:00.005Z INFO  attempt 1 failed");
}

TEST_CASE("log levels are named and ordered debug < info < warn < error", "[unit][log]") {
  for (auto l : {log_level::debug, log_level::info, log_level::warn, log_level::error})
    CHECK(parse_log_level(to_string(l)) == l);
  CHECK_FALSE(parse_log_level("warning"));
  CHECK_FALSE(parse_log_level("INFO"));
  CHECK(log_level::debug < log_level::info);
  CHECK(log_level::info < log_level::warn);
  CHECK(log_level::warn < log_level::error);
}

TEST_CASE("the plain log text names the job as before", "[unit][log]") {
  CHECK(log_text({log_level::warn, "q5", "", "node 127.0.0.1:7000 is lost", 0})
        == "job 'q5': node 127.0.0.1:7000 is lost");
  CHECK(log_text({log_level::info, "", "", "resuming", 0}) == "resuming");
}
