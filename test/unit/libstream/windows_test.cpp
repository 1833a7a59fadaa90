#include <catch2/catch.hpp>

#include "weir/windows.hpp"

using namespace weir;
using std::chrono::milliseconds;

namespace {
std::vector<time_window> windows_of(const window_assigner& a, int64_t ts) {
  std::vector<time_window> out;
  a.assign(ts, out);
  return out;
}
} // namespace

TEST_CASE("tumbling windows are aligned to the epoch, negative time included", "[unit][windows]") {
  auto a = tumbling_event_time_windows::of(milliseconds(10));
  CHECK(windows_of(a, 0) == std::vector<time_window>{{0, 10}});
  CHECK(windows_of(a, 9) == std::vector<time_window>{{0, 10}});
  CHECK(windows_of(a, 10) == std::vector<time_window>{{10, 20}});
  CHECK(windows_of(a, -1) == std::vector<time_window>{{-10, 0}});
  auto shifted = tumbling_event_time_windows::of(milliseconds(10), milliseconds(3));
  CHECK(windows_of(shifted, 2) == std::vector<time_window>{{-7, 3}});
}

TEST_CASE("a record is in size / slide sliding windows", "[unit][windows]") {
  auto a = sliding_event_time_windows::of(milliseconds(10000), milliseconds(2000));
  auto w = windows_of(a, 1700000003500);
  REQUIRE(w.size() == 5);
  for (auto& x : w) {
    CHECK(x.start <= 1700000003500);
    CHECK(1700000003500 < x.end);
    CHECK(x.start % 2000 == 0);
  }
}

TEST_CASE("session windows that overlap merge and touching ones stay apart", "[unit][windows]") {
  auto a = event_time_session_windows::with_gap(milliseconds(10));
  auto w = windows_of(a, 5);
  REQUIRE(w == std::vector<time_window>{{5, 15}});
  CHECK(w[0].intersects({14, 24}));
  CHECK(w[0].intersects({-4, 6}));
  CHECK_FALSE(w[0].intersects({15, 25})); // a record one gap after the last starts a new session
  CHECK_FALSE(w[0].intersects({-5, 5}));
  CHECK(w[0].cover({15, 25}) == time_window{5, 25});
}

TEST_CASE("bad window sizes are rejected naming the field", "[unit][windows]") {
  CHECK_THROWS_WITH(window_assigner::tumbling(milliseconds(0)), Catch::Contains("size must be positive"));
  CHECK_THROWS_WITH(window_assigner::sliding(milliseconds(10), milliseconds(-1)),
                    Catch::Contains("slide must be positive"));
  CHECK_THROWS_WITH(window_assigner::tumbling(milliseconds(10), milliseconds(10)), Catch::Contains("offset"));
}
