// InfluxDB line protocol as influxdb_point writes it: escapes, types, and
// the points it refuses (naming why) instead of sending a line the server
// would misread.

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <stdexcept>

#include "weir/influxdb.hpp"

using weir::influxdb_point;

TEST_CASE("an influxdb point is one line of line protocol with its fields typed", "[unit][influxdb]") {
  influxdb_point p;
  p.measurement = "events_per_second";
  p.tags = {{"device", "a"}, {"domain", "event"}};
  p.fields = {{"count", int64_t{50}}, {"avg", 12.5}, {"ok", true}, {"note", std::string("hi")}};
  p.time_ms = 1700000000123;
  CHECK(p.line() == R"(events_per_second,device=a,domain=event count=50i,avg=12.5,ok=true,note="hi" 1700000000123)");
}

TEST_CASE("an influxdb point escapes what line protocol treats as syntax", "[unit][influxdb]") {
  influxdb_point p;
  p.measurement = "cpu load,x";
  p.tags = {{"host name", "a=b,c d"}, {"empty", ""}};
  p.fields = {{"msg=1", std::string(R"(say "hi" \ bye)")}};
  p.time_ms = 5;
  CHECK(p.line() == R"(cpu\ load\,x,host\ name=a\=b\,c\ d msg\=1="say \"hi\" \\ bye" 5)");
}

TEST_CASE("an influxdb point the protocol cannot say is refused, naming why", "[unit][influxdb]") {
  influxdb_point p;
  p.measurement = "m";
  CHECK_THROWS_WITH(p.line(), Catch::Contains("measurement 'm' has no field"));
  p.fields = {{"v", std::numeric_limits<double>::quiet_NaN()}};
  CHECK_THROWS_WITH(p.line(), Catch::Contains("field 'v' is not a finite number"));
  p.fields = {{"v", std::string("two\nlines")}};
  CHECK_THROWS_WITH(p.line(), Catch::Contains("newline"));
  p.fields = {{"", int64_t{1}}};
  CHECK_THROWS_WITH(p.line(), Catch::Contains("an empty field key"));
  p.fields = {{"v", int64_t{1}}};
  p.tags = {{"", "x"}};
  CHECK_THROWS_WITH(p.line(), Catch::Contains("an empty tag key"));
  p.tags.clear();
  p.measurement.clear();
  CHECK_THROWS_WITH(p.line(), Catch::Contains("an empty measurement"));
}

TEST_CASE("influxdb_sink refuses a bad database name or URL when the job is built", "[unit][influxdb]") {
  using weir::influxdb_sink;
  auto to_point = [](const int64_t&) { return influxdb_point{}; };
  CHECK_THROWS_WITH(influxdb_sink<int64_t>({"http://127.0.0.1:8086", "a;drop"}, to_point),
                    Catch::Contains("database 'a;drop' must be letters, digits"));
  for (const char* url : {"ftp://x", "http://h:8086/write", "http://h:99999", "http://:8086", "h:8086", "http://h:80x"})
    CHECK_THROWS_WITH(influxdb_sink<int64_t>({url, "db"}, to_point),
                      Catch::Contains("the URL '" + std::string(url) + "' is not http://host[:port]"));
  CHECK_NOTHROW(influxdb_sink<int64_t>({"http://127.0.0.1:8086/", "db"}, to_point));
  CHECK_NOTHROW(influxdb_sink<int64_t>({"http://localhost", "db"}, to_point));
}

TEST_CASE("an influxdb point refuses what InfluxDB 1.x would misread: backslashes in names and "
          "tags, a measurement starting with #",
          "[unit][influxdb]") {
  influxdb_point p;
  p.measurement = "m";
  p.fields = {{"v", int64_t{1}}};
  p.tags = {{"dir", "C:\\"}};
  CHECK_THROWS_WITH(p.line(), Catch::Contains("tag 'dir' 'C:\\' holds a backslash"));
  p.tags = {{"a\\b", "x"}};
  CHECK_THROWS_WITH(p.line(), Catch::Contains("holds a backslash"));
  p.tags.clear();
  p.measurement = "#cpu";
  CHECK_THROWS_WITH(p.line(), Catch::Contains("starts with '#'"));
  p.measurement = "cpu";
  p.fields = {{"path", std::string("C:\\dir")}}; // in a string field a backslash is escaped
  CHECK(p.line() == R"(cpu path="C:\\dir" 0)");
}
