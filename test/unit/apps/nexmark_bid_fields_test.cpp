// The per-bid calculations of q14, q21 and q22 at their edges.

#include <catch2/catch.hpp>

#include "nexmark/bid_fields.hpp"

using namespace weir::nexmark;

TEST_CASE("q14's price range is exact at both ends", "[unit][nexmark]") {
  CHECK_FALSE(q14_price_in_range(1101321)); // 0.908 x = 999,999.468
  CHECK(q14_price_in_range(1101322));       // 1,000,000.376
  CHECK(q14_price_in_range(55066079));      // 49,999,999.732
  CHECK_FALSE(q14_price_in_range(55066080)); // 50,000,000.64
}

TEST_CASE("q14's time of day is the UTC hour, before 1970 too", "[unit][nexmark]") {
  const int64_t hour = 3600000;
  CHECK(std::string(bid_time_type(0)) == "nightTime");
  CHECK(std::string(bid_time_type(7 * hour - 1)) == "nightTime");
  CHECK(std::string(bid_time_type(7 * hour)) == "otherTime");
  CHECK(std::string(bid_time_type(8 * hour)) == "dayTime");
  CHECK(std::string(bid_time_type(19 * hour - 1)) == "dayTime");
  CHECK(std::string(bid_time_type(19 * hour)) == "otherTime");
  CHECK(std::string(bid_time_type(20 * hour)) == "nightTime");
  CHECK(std::string(bid_time_type(-1)) == "nightTime");          // 23:59:59.999 the day before
  CHECK(std::string(bid_time_type(-5 * hour)) == "otherTime");   // 19:00 the day before
  CHECK(std::string(bid_time_type(-5 * hour - 1)) == "dayTime"); // 18:59:59.999
  CHECK(count_c("cCc\xc3\xa7") == 2);
}

TEST_CASE("q21's channel id: named channels, then the url's parameter", "[unit][nexmark]") {
  CHECK(channel_id("Google", "") == "1");
  CHECK(channel_id("FACEBOOK", "channel_id=5") == "2");
  CHECK(channel_id("googl", "") == std::nullopt);
  CHECK(channel_id("x", "channel_id=12&y") == "12");
  CHECK(channel_id("x", "a?b=1&channel_id=") == "");
  CHECK(channel_id("x", "a?channel_id=3") == std::nullopt);
  CHECK(channel_id("x", "a?my_channel_id=3&channel_id=4&channel_id=5") == "4");
}

TEST_CASE("q22's url parts keep empty parts and end where the url does", "[unit][nexmark]") {
  CHECK(url_part("https://h/a/b/c/x?q", 0) == "https:");
  CHECK(url_part("https://h/a/b/c/x?q", 1) == "");
  CHECK(url_part("https://h/a/b/c/x?q", 3) == "a");
  CHECK(url_part("https://h/a/b/c/x?q", 6) == "x?q");
  CHECK(url_part("https://h/a/b/c/x?q", 7) == std::nullopt);
  CHECK(url_part("a/", 1) == "");
  CHECK(url_part("a/", 2) == std::nullopt);
}
