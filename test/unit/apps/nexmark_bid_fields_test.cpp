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

namespace {

bid make(int64_t price, int64_t time, int64_t bidder, const std::string& channel = "c") {
  bid b;
  b.price = price;
  b.date_time = time;
  b.bidder = bidder;
  b.channel = channel;
  return b;
}

} // namespace

TEST_CASE("bid order: higher price, earlier time, lower bidder, then the strings", "[unit][nexmark]") {
  CHECK(ranks_before(make(2, 9, 9), make(1, 1, 1)));
  CHECK(ranks_before(make(2, 1, 9), make(2, 2, 1)));
  CHECK(ranks_before(make(2, 1, 1), make(2, 1, 2)));
  CHECK(ranks_before(make(2, 1, 1, "a"), make(2, 1, 1, "b")));
  CHECK_FALSE(ranks_before(make(2, 1, 1), make(2, 1, 1))); // equal bids are interchangeable
  std::vector<bid> top;
  for (int64_t p : {5, 1, 9, 3, 9, 7}) keep_top(top, make(p, p == 9 && top.size() > 2 ? 0 : 1, 1), 3);
  REQUIRE(top.size() == 3);
  CHECK(top[0].price == 9);
  CHECK(top[0].date_time == 0); // the earlier of the two 9s
  CHECK(top[1].price == 9);
  CHECK(top[2].price == 7);
}

TEST_CASE("q18's last bid: later time, then higher price, then the strings", "[unit][nexmark]") {
  CHECK(later_than(make(1, 2, 1), make(9, 1, 1)));
  CHECK(later_than(make(2, 1, 1), make(1, 1, 1)));
  CHECK(later_than(make(1, 1, 1, "b"), make(1, 1, 1, "a")));
  CHECK_FALSE(later_than(make(1, 1, 1), make(1, 1, 2))); // the bidder does not order them
}

TEST_CASE("UTC days and minutes", "[unit][nexmark]") {
  CHECK(utc_day(0) == "1970-01-01");
  CHECK(utc_day(-1) == "1969-12-31");
  CHECK(utc_minute(-1) == "23:59");
  CHECK(utc_day(1700000000000) == "2023-11-14");
  CHECK(utc_minute(1700000000000) == "22:13");
  CHECK(utc_day(951782400000) == "2000-02-29"); // a leap day in a century year
  CHECK(utc_day(4107542400000) == "2100-03-01"); // 2100 is no leap year
  CHECK(day_start(1700000000000) == 1699920000000);
  CHECK(price_rank(9999) == 1);
  CHECK(price_rank(10000) == 2);
  CHECK(price_rank(999999) == 2);
  CHECK(price_rank(1000000) == 3);
}
