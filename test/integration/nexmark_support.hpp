#pragma once

// Helpers shared by the Nexmark integration tests: JSON lines for events at
// a time relative to T, running a query through the registered job, and the
// benchmark's loops over the same input.

#include <catch2/catch.hpp>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "nexmark/baseline.hpp"
#include "nexmark/capnp_events.hpp"
#include "nexmark/generator.hpp"
#include "nexmark/queries.hpp"
#include "support/part_files.hpp"
#include "support/temp_dir.hpp"
#include "weir/job_registry.hpp"
#include "weir/stream.hpp"

namespace nexmark_test {

using namespace weir;

inline constexpr int64_t T = 1700000000000; // a multiple of 10 s: windows start at T

inline std::string at(int64_t rel) { return std::to_string(T + rel); }

inline std::string person(int64_t id, const std::string& name, const std::string& city, const std::string& state,
                   int64_t rel) {
  return R"({"type":"person","id":)" + std::to_string(id) + R"(,"name":")" + name
         + R"(","emailAddress":"x@y.z","creditCard":"1111 2222","city":")" + city + R"(","state":")"
         + state + R"(","dateTime":)" + at(rel) + R"(,"extra":""})";
}

inline std::string auction(int64_t id, int64_t seller, int64_t category, int64_t rel) {
  return R"({"type":"auction","id":)" + std::to_string(id) + R"(,"itemName":"lamp","description":"old",)"
         + R"("initialBid":100,"reserve":150,"dateTime":)" + at(rel) + R"(,"expires":)" + at(rel + 60000)
         + R"(,"seller":)" + std::to_string(seller) + R"(,"category":)" + std::to_string(category)
         + R"(,"extra":""})";
}

inline std::string bid(int64_t auction, int64_t bidder, int64_t price, int64_t rel) {
  return R"({"type":"bid","auction":)" + std::to_string(auction) + R"(,"bidder":)" + std::to_string(bidder)
         + R"(,"price":)" + std::to_string(price) + R"(,"channel":"Google","url":"https://x.com/a","dateTime":)"
         + at(rel) + R"(,"extra":""})";
}

/// The hand-checked input: persons, auctions and bids in event-time order.
inline std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

/// q12's lines depend on processing time: checks what nexmark.md fixes (10 s
/// epoch-aligned windows, counts >= 1, one line per bidder and window) and
/// reduces them to the per-bidder totals "bidder,total". Other queries' lines
/// are returned sorted.
inline std::vector<std::string> comparable(const std::string& query, std::vector<std::string> lines) {
  if (query != "q12") return sorted(std::move(lines));
  std::map<int64_t, int64_t> totals;
  std::set<std::pair<int64_t, int64_t>> windows;
  for (const auto& l : lines) {
    int64_t bidder = 0, n = 0, start = 0, end = 0;
    REQUIRE(std::sscanf(l.c_str(), "%" SCNd64 ",%" SCNd64 ",%" SCNd64 ",%" SCNd64, &bidder, &n, &start, &end) == 4);
    CHECK(end == start + 10000);
    CHECK(start % 10000 == 0);
    CHECK(n >= 1);
    CHECK(windows.insert({bidder, start}).second);
    totals[bidder] += n;
  }
  std::vector<std::string> out;
  for (const auto& [bidder, n] : totals) out.push_back(std::to_string(bidder) + "," + std::to_string(n));
  return sorted(out);
}

/// The side input every test run gets (only q13 reads it): two values for
/// auction 2000 (one with a comma), an empty one for 2460, and from 1000 on
/// every third key (2001 among them), the multiples of 7 twice.
inline std::string side_input_text() {
  std::string text = "2000,a\n2000,x, y\n2460,\n\n";
  for (int k = 1000; k < 10000; ++k) {
    if (k % 3 != 0 || k == 2460) continue;
    text += std::to_string(k) + ",v" + std::to_string(k) + "\n";
    if (k % 7 == 0) text += std::to_string(k) + ",w\n";
  }
  return text;
}

/// A query's result lines from its output directory. For a query writing
/// partitions (q10) also checks nexmark.md's layout: every line in the
/// directory of its dateTime's UTC minute (the 4th column), every partition
/// committed with _SUCCESS, nothing else there.
inline std::vector<std::string> query_output(const std::string& query, const std::string& out) {
  if (!nexmark::writes_partitions(query)) return test::part_lines(out);
  namespace fs = std::filesystem;
  std::vector<std::string> lines;
  for (const auto& e : fs::recursive_directory_iterator(out)) {
    auto rel = fs::relative(e.path(), out).string();
    if (e.is_directory() || rel == ".weir-lock") continue;
    INFO(rel);
    auto dir = fs::relative(e.path().parent_path(), out).string();
    CHECK(fs::exists(e.path().parent_path() / "_SUCCESS"));
    if (e.path().filename() == "_SUCCESS") continue;
    REQUIRE(e.path().filename().string().rfind("part-", 0) == 0);
    std::ifstream in(e.path());
    for (std::string line; std::getline(in, line);) {
      size_t at = 0; // the 4th column follows three numbers: no quoting before it
      for (int i = 0; i < 3 && at != std::string::npos; ++i) at = line.find(',', at + (i > 0));
      REQUIRE(at != std::string::npos);
      auto t = std::stoll(line.substr(at + 1));
      CHECK(dir == hive_minutes().path(t - t % 60000));
      lines.push_back(line);
    }
  }
  return lines;
}

inline std::vector<std::string> run_query(const std::string& query, const std::vector<std::string>& lines,
                                   const std::string& parallelism, int64_t bound = 0, bool skip = false,
                                   size_t batch = 3, bool chaining = false) {
  test::temp_dir dir;
  std::string text;
  for (auto& l : lines) text += l + "\n";
  test::write_file(dir.file("events.json"), text);
  test::write_file(dir.file("side.txt"), side_input_text());
  nexmark::register_nexmark();
  environment env;
  env.options().batch_size = batch;
  env.set_chaining(chaining);
  REQUIRE_FALSE(build_registered_job(env, "nexmark",
                                     {{"query", query}, {"input", dir.file("events.json")},
                                      {"output", dir.file("out")}, {"parallelism", parallelism},
                                      {"out-of-orderness-ms", std::to_string(bound)},
                                      {"skip-bad-lines", skip ? "true" : "false"},
                                      {"side-input", dir.file("side.txt")}}));
  auto result = env.execute("nexmark");
  if (!result.ok()) FAIL(result.failure.to_string());
  CHECK(result.late_records == 0);
  return comparable(query, query_output(query, dir.file("out")));
}



/// side_input_text() as the loops take it.
inline nexmark::query_inputs test_inputs() {
  test::temp_dir dir;
  test::write_file(dir.file("side.txt"), side_input_text());
  auto side = nexmark::read_side_input(dir.file("side.txt"));
  REQUIRE(side);
  return {*side};
}

struct line_collector final : nexmark::line_sink {
  std::vector<std::string> lines;
  void take(const std::string& line) override { lines.push_back(line); }
};

/// The hand-written loop's lines for `query` over events 0 .. count-1.
inline std::vector<std::string> loop_lines(const std::string& query, const nexmark::generator& gen, uint64_t count) {
  line_collector out;
  auto loop = nexmark::make_query_loop(query, out, test_inputs());
  REQUIRE(loop);
  for (uint64_t n = 0; n < count; ++n) loop->add(gen.at(n));
  loop->finish();
  return comparable(query, out.lines);
}

/// The benchmark loop's lines for `query` over JSON `lines`, as comparable() gives them.
inline std::vector<std::string> loop_lines_over(const std::string& query, const std::vector<std::string>& lines) {
  line_collector out;
  auto loop = nexmark::make_query_loop(query, out, test_inputs());
  REQUIRE(loop);
  for (const auto& l : lines) loop->add(*nexmark::parse_event(l));
  loop->finish();
  return comparable(query, out.lines);
}

/// Runs `query` on `events` generated events (1000 per second of event time).
inline std::vector<std::string> run_generated(const std::string& query, uint64_t events, const std::string& parallelism,
                                       size_t batch = 256) {
  test::temp_dir dir;
  test::write_file(dir.file("side.txt"), side_input_text());
  nexmark::register_nexmark();
  environment env;
  env.options().batch_size = batch;
  REQUIRE_FALSE(build_registered_job(env, "nexmark",
                                     {{"query", query}, {"events", std::to_string(events)}, {"rate", "1000"},
                                      {"seed", "42"}, {"output", dir.file("out")}, {"parallelism", parallelism},
                                      {"side-input", dir.file("side.txt")}}));
  auto result = env.execute("nexmark");
  if (!result.ok()) FAIL(result.failure.to_string());
  CHECK(result.late_records == 0);
  CHECK(result.source_records == events);
  return comparable(query, query_output(query, dir.file("out")));
}


inline std::string bid_with(int64_t price, const std::string& channel, const std::string& url, const std::string& extra,
                     int64_t date_time) {
  return R"({"type":"bid","auction":7,"bidder":8,"price":)" + std::to_string(price) + R"(,"channel":")" + channel
         + R"(","url":")" + url + R"(","dateTime":)" + std::to_string(date_time) + R"(,"extra":")" + extra + R"("})";
}


inline std::string auction_with(int64_t id, int64_t seller, int64_t category, int64_t reserve, int64_t rel, int64_t expires_rel) {
  return R"({"type":"auction","id":)" + std::to_string(id) + R"(,"itemName":"i","description":"d","initialBid":1,)"
         + R"("reserve":)" + std::to_string(reserve) + R"(,"dateTime":)" + at(rel) + R"(,"expires":)" + at(expires_rel)
         + R"(,"seller":)" + std::to_string(seller) + R"(,"category":)" + std::to_string(category) + R"(,"extra":""})";
}


} // namespace nexmark_test
