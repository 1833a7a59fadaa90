// Nexmark over generated events, against the benchmark's hand-written
// loops, and each query family at its edges.

#include <catch2/catch.hpp>

#include <iostream>
#include <random>

#include "nexmark_support.hpp"
#include "support/seed.hpp"
#include "weir/sinks.hpp"

using namespace weir;
using namespace nexmark_test;

TEST_CASE("generated events give the same results at any parallelism and as their JSON lines",
          "[integration][nexmark][generator]") {
  constexpr uint64_t events = 30000; // 30 s of event time: several windows of each kind
  nexmark::generator gen({42, 1000});
  std::vector<std::string> lines;
  for (uint64_t n = 0; n < events; ++n) lines.push_back(nexmark::to_json(gen.at(n)));
  for (const auto& q : nexmark::query_names()) {
    INFO("query " << q);
    auto one = run_generated(q, events, "1");
    CHECK_FALSE(one.empty());
    CHECK(run_generated(q, events, "3", 100) == one);
    CHECK(run_query(q, lines, "2", 0, false, 512) == one);
    CHECK(loop_lines(q, gen, events) == one); // the benchmark's baseline computes the same
  }
}

TEST_CASE("the benchmark's loops agree with the queries where windows and sessions meet exactly",
          "[integration][nexmark][generator]") {
  // Few keys, times on a 2 s grid: bids land on window bounds and exactly
  // one session gap (10 s) after a bidder's last bid.
  auto seed = test::test_seed();
  std::cout << "nexmark loop boundary seed " << seed << " (WEIR_TEST_SEED)" << std::endl;
  std::mt19937_64 rng(seed);
  std::vector<std::string> lines;
  int64_t t = 0;
  for (int i = 0; i < 400; ++i) {
    t += 2000 * static_cast<int64_t>(rng() % 3);
    if (i % 20 == 0)
      lines.push_back(person(1000 + i / 20, "p" + std::to_string(i), "c", i % 40 == 0 ? "OR" : "TX", t));
    else if (i % 7 == 0)
      lines.push_back(auction(2000 + i, 1000 + static_cast<int64_t>(rng() % 20), 10, t));
    else
      lines.push_back(bid(2000 + static_cast<int64_t>(rng() % 5), 1000 + static_cast<int64_t>(rng() % 4),
                          static_cast<int64_t>(rng() % 4), t));
  }
  for (const auto& q : nexmark::query_names()) {
    INFO("query " << q);
    CHECK(loop_lines_over(q, lines) == run_query(q, lines, "2", 0, false, 64));
  }
}


TEST_CASE("q14, q21 and q22 compute their columns as nexmark.md defines", "[integration][nexmark]") {
  // 2023-11-14 is day 19675; its 07:00, 08:00, 18:59:59.999, 19:00, 20:00 and 06:59 UTC.
  const int64_t day = 19675LL * 86400000;
  auto h = [&](int64_t hours, int64_t ms = 0) { return day + hours * 3600000 + ms; };
  std::vector<std::string> in{
    bid_with(1101321, "x", "u", "", h(8)),            // 0.908 * p = 999,999.468: out
    bid_with(1101322, "x", "u", "cc,c", h(8)),        // 1,000,000.376: in, dayTime
    bid_with(55066079, "x", "u", "CÃ§", h(18, 3599999)), // 49,999,999.732: in, dayTime
    bid_with(55066080, "x", "u", "", h(12)),          // 50,000,000.64: out
    bid_with(2000000, "x", "u", "", h(7)),            // otherTime
    bid_with(2000000, "x", "u", "", h(19)),           // otherTime
    bid_with(2000000, "x", "u", "", h(20)),           // nightTime
    bid_with(2000000, "x", "u", "", h(6, 59 * 60000)), // nightTime
  };
  CHECK(run_query("q14", in, "2") == sorted({
    "7,8,1000000.376,dayTime," + std::to_string(h(8)) + ",\"cc,c\",3",
    "7,8,49999999.732,dayTime," + std::to_string(h(18, 3599999)) + ",CÃ§,0",
    "7,8,1816000.000,otherTime," + std::to_string(h(7)) + ",,0",
    "7,8,1816000.000,otherTime," + std::to_string(h(19)) + ",,0",
    "7,8,1816000.000,nightTime," + std::to_string(h(20)) + ",,0",
    "7,8,1816000.000,nightTime," + std::to_string(h(6, 59 * 60000)) + ",,0"}));

  std::vector<std::string> urls{
    bid_with(1, "APPLE", "https://a/b?channel_id=9", "", 1),      // a named channel wins: 0
    bid_with(2, "bAiDu", "", "", 2),                                // 3
    bid_with(3, "Apple Inc", "https://a/b?x=1&channel_id=42&y=2", "", 3), // 42
    bid_with(4, "c", "channel_id=&x", "", 4),                       // empty, at the start
    bid_with(5, "c", "https://a/b?channel_id=5", "", 5),            // after '?': dropped
    bid_with(6, "c", "https://a/b?xchannel_id=6&channel_id=7", "", 6), // the second one: 7
    bid_with(7, "c", "https://a/b", "", 7),                         // none: dropped
  };
  CHECK(run_query("q21", urls, "1") == sorted({"7,8,1,APPLE,0", "7,8,2,bAiDu,3", "7,8,3,Apple Inc,42",
                                               "7,8,4,c,", "7,8,6,c,7"}));

  std::vector<std::string> dirs{
    bid_with(1, "c", "https://h/a/b/c/x?q", "", 1), bid_with(2, "c", "https://h/a", "", 2),
    bid_with(3, "c", "https://h//b,c/", "", 3), bid_with(4, "c", "plain", "", 4)};
  CHECK(run_query("q22", dirs, "2") == sorted({"7,8,1,c,a,b,c", "7,8,2,c,a,,", "7,8,3,c,,\"b,c\",",
                                               "7,8,4,c,,,"}));
}

TEST_CASE("daily statistics count price ranks and distinct ids per UTC day", "[integration][nexmark]") {
  const int64_t day = 19675LL * 86400000; // 2023-11-14
  auto b = [](int64_t auction, int64_t bidder, int64_t price, const std::string& channel, int64_t t) {
    return R"({"type":"bid","auction":)" + std::to_string(auction) + R"(,"bidder":)" + std::to_string(bidder)
           + R"(,"price":)" + std::to_string(price) + R"(,"channel":")" + channel
           + R"(","url":"u","dateTime":)" + std::to_string(t) + R"(,"extra":""})";
  };
  std::vector<std::string> in{
    b(1, 10, 5000, "A", day + 1000),              // rank 1
    b(1, 10, 20000, "A", day + 300000),           // rank 2, 00:05
    b(2, 11, 2000000, "a", day + 3600000),        // rank 3, another channel (case counts)
    b(2, 10, 3000000, "A", day + 86400000 - 1),   // rank 3, the day's last ms
    b(1, 12, 7000, "A", day + 86400000),          // the next day
  };
  for (const char* p : {"1", "3"}) {
    INFO("parallelism " << p);
    CHECK(run_query("q15", in, p) == sorted({"2023-11-14,4,1,1,2,2,1,1,2,2,1,1,1", "2023-11-15,1,1,0,0,1,1,0,0,1,1,0,0"}));
    CHECK(run_query("q16", in, p) == sorted({"A,2023-11-14,23:59,3,1,1,1,1,1,1,1,2,1,1,1",
                                             "a,2023-11-14,01:00,1,0,0,1,1,0,0,1,1,0,0,1",
                                             "A,2023-11-15,00:00,1,1,0,0,1,1,0,0,1,1,0,0"}));
    CHECK(run_query("q17", in, p) == sorted({"1,2023-11-14,2,1,1,0,5000,20000,12500,25000",
                                             "2,2023-11-14,2,0,0,2,2000000,3000000,2500000,5000000",
                                             "1,2023-11-15,1,1,0,0,7000,7000,7000,7000"}));
  }
}


TEST_CASE("winning bids: qualification at its edges, bid order, closing order and the last 10",
          "[integration][nexmark]") {
  std::vector<std::string> in{
    auction_with(1, 7, 10, 100, 0, 5000),
    bid(1, 50, 99, 10),     // below the reserve
    bid(1, 51, 100, 20),    // at the reserve: qualifies
    bid(1, 52, 300, 30),    // the winner: 300 at 30 ...
    bid(1, 53, 300, 40),    // ... not this later 300
    bid(1, 54, 900, 5001),  // after expires
    auction_with(2, 7, 10, 10, 1000, 5000), // closes with 1 (same expires, higher id)
    bid(2, 55, 50, 5000),   // exactly at expires: qualifies
    auction_with(3, 8, 10, 10, 2000, 4000), // closes first
    bid(3, 56, 10, 1999),   // before it opened
    bid(3, 57, 20, 3000),
    auction_with(4, 8, 11, 10, 2500, 4500), // no bid: no line
  };
  // q6: seller 9 closes 12 auctions, prices 1000 .. 12000 in closing order.
  for (int i = 0; i < 12; ++i) {
    in.push_back(auction_with(100 + i, 9, 12, 1, 6000 + i, 20000 + i));
    in.push_back(bid(100 + i, 60, 1000 * (i + 1), 6000 + i));
  }
  std::stable_sort(in.begin(), in.end(), [](const std::string& a, const std::string& b) {
    auto time = [](const std::string& l) { return std::stoll(l.substr(l.find("\"dateTime\":") + 11)); };
    return time(a) < time(b);
  });
  std::vector<std::string> q4{"10,3,20", "10,1,160", "10,2,123"};
  std::vector<std::string> q6{"8,3,20", "7,1,300", "7,2,175"};
  int64_t sum = 0;
  for (int i = 0; i < 12; ++i) {
    sum += 1000 * (i + 1);
    q4.push_back("12," + std::to_string(100 + i) + "," + std::to_string(sum / (i + 1)));
    int64_t last10 = 0, n = std::min(i + 1, 10);
    for (int k = i + 1 - static_cast<int>(n); k <= i; ++k) last10 += 1000 * (k + 1);
    q6.push_back("9," + std::to_string(100 + i) + "," + std::to_string(last10 / n));
  }
  for (const char* p : {"1", "3"}) {
    INFO("parallelism " << p);
    CHECK(run_query("q4", in, p) == sorted(q4));
    CHECK(run_query("q6", in, p) == sorted(q6));
    auto q9 = run_query("q9", in, p);
    REQUIRE(q9.size() == 15);
    CHECK(q9[0] == "1,i,d,1,100," + at(0) + "," + at(5000) + ",7,10,,1,52,300," + at(30) + ",");
    CHECK(q9[1] == "100,i,d,1,1," + at(6000) + "," + at(20000) + ",9,12,,100,60,1000," + at(6000) + ",");
  }
}

TEST_CASE("a bad side input fails the q13 job before it runs, naming file and line", "[integration][nexmark]") {
  test::temp_dir dir;
  nexmark::register_nexmark();
  struct bad {
    const char* text;
    const char* says;
  };
  for (const auto& b : {bad{"1,a\nno comma\n", ":2: expected key,value"}, bad{"1,a\n\n-3,x\n", ":3: the key '-3'"},
                        bad{"12x,y\n", ":1: the key '12x'"}, bad{",y\n", ":1: the key ''"}}) {
    test::write_file(dir.file("side.txt"), b.text);
    environment env;
    auto err = build_registered_job(env, "nexmark", {{"query", "q13"}, {"events", "10"}, {"output", dir.file("o")},
                                                     {"side-input", dir.file("side.txt")}});
    CHECK(err.code() == errc::bad_argument);
    CHECK_THAT(err.message(), Catch::Contains("side input " + dir.file("side.txt") + b.says));
  }
  environment env;
  auto missing = build_registered_job(env, "nexmark", {{"query", "q13"}, {"events", "10"}, {"output", dir.file("o")}});
  CHECK_THAT(missing.message(), Catch::Contains("q13 needs a side input"));
}


TEST_CASE("the benchmark's loops agree with the winning-bid queries at auction edges", "[integration][nexmark]") {
  // Times on a 1 s grid, expiries on it too: bids land exactly on dateTime
  // and expires, in the same ms as their auction (before or after it), at
  // the reserve; auctions share expiries.
  auto seed = test::test_seed();
  std::cout << "nexmark winning edges seed " << seed << " (WEIR_TEST_SEED)" << std::endl;
  std::mt19937_64 rng(seed);
  std::vector<std::string> lines;
  int64_t t = 0;
  for (int i = 0; i < 600; ++i) {
    if (rng() % 3 == 0) t += 1000;
    int64_t auction = 2000 + static_cast<int64_t>(rng() % 12);
    if (i % 10 == 0) {
      int64_t id = 2000 + i / 10 % 12;
      lines.push_back(auction_with(id + 100 * (i / 120), 1000 + static_cast<int64_t>(rng() % 3), 10 + static_cast<int64_t>(rng() % 2),
                                   static_cast<int64_t>(rng() % 3), t, t + 1000 * static_cast<int64_t>(rng() % 4)));
    } else {
      lines.push_back(bid(auction + 100 * (i / 120), 1000 + static_cast<int64_t>(rng() % 5), static_cast<int64_t>(rng() % 4), t));
    }
  }
  for (const char* q : {"q4", "q6", "q9"}) {
    INFO("query " << q);
    auto want = loop_lines_over(q, lines);
    REQUIRE(want.size() >= 5);
    CHECK(run_query(q, lines, "1", 0, false, 7) == want);
    CHECK(run_query(q, lines, "3", 0, false, 64) == want);
  }
}

TEST_CASE("queries over Cap'n Proto event records write the same lines as over struct events",
          "[integration][nexmark][capnp]") {
  constexpr uint64_t events = 20000;
  nexmark::generator gen({42, 1000});
  for (uint64_t n = 0; n < 200; ++n) { // every field survives the trip through a record
    auto e = gen.at(n);
    CHECK(nexmark::from_record(nexmark::to_record(e).get()) == e);
    CHECK(nexmark::event_time(nexmark::to_record(e).get()) == nexmark::event_time(e));
  }
  for (const auto& q : nexmark::record_query_names()) {
    for (uint32_t p : {1u, 2u}) {
      INFO("query " << q << " parallelism " << p);
      auto out = std::make_shared<collected<std::string>>();
      environment env;
      env.set_parallelism(p);
      env.options().batch_size = 100;
      auto lines = nexmark::apply_record_query(q, nexmark::generated_event_records(env, {42, 1000}, events));
      REQUIRE(lines);
      lines->sink(collect_sink(out)).uid("out");
      auto result = env.execute("nexmark-records");
      REQUIRE(result.ok());
      CHECK(comparable(q, out->values()) == loop_lines(q, gen, events));
    }
  }
  environment other;
  CHECK_FALSE(nexmark::apply_record_query("q5", nexmark::generated_event_records(other, {}, 1)));
}
