// The Nexmark generator: deterministic by event number, the proportions and
// ranges nexmark.md defines, and JSON lines that parse back to the same event.

#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <set>

#include "nexmark/generator_source.hpp"

using namespace weir::nexmark;

namespace {

constexpr uint64_t sample = 50000;

std::string json_of(const generator& g, uint64_t n) {
  return to_json(g.at(n));
}

} // namespace

TEST_CASE("the generator gives the same event for the same number and seed", "[unit][nexmark][generator]") {
  generator a({7, 1000000}), b({7, 1000000}), other({8, 1000000});
  size_t differ = 0;
  for (uint64_t n : {0ull, 1ull, 4ull, 49ull, 12345ull, 999999999ull}) {
    CHECK(json_of(a, n) == json_of(b, n));
    differ += json_of(a, n) != json_of(other, n);
  }
  CHECK(differ == 6); // a seed changes every event
  // In any order: n alone decides the event.
  auto forward = json_of(a, 4242);
  for (uint64_t n = 0; n < 100; ++n) json_of(a, n);
  CHECK(json_of(a, 4242) == forward);
}

TEST_CASE("the generator keeps nexmark's proportions, ids and event times", "[unit][nexmark][generator]") {
  generator g({1, 1000});
  std::map<event_kind, uint64_t> kinds;
  int64_t next_person = 1000, next_auction = 1000;
  for (uint64_t n = 0; n < sample; ++n) {
    auto e = g.at(n);
    ++kinds[kind_of(n)];
    CHECK(event_time(e) == 1700000000000 + static_cast<int64_t>(n)); // 1000 events per second
    if (auto* p = std::get_if<person>(&e)) {
      REQUIRE(kind_of(n) == event_kind::person);
      CHECK(p->id == next_person++);
    } else if (auto* a = std::get_if<auction>(&e)) {
      REQUIRE(kind_of(n) == event_kind::auction);
      CHECK(a->id == next_auction++);
      CHECK(a->expires > a->date_time);
      CHECK(a->reserve > a->initial_bid);
      CHECK((a->category >= 10 && a->category < 15));
      CHECK((a->seller >= 1000 && a->seller < next_person)); // an existing person
    } else {
      const auto& b = std::get<bid>(e);
      REQUIRE(kind_of(n) == event_kind::bid);
      CHECK((b.bidder >= 1000 && b.bidder < next_person));
      CHECK((b.auction >= 1000 && b.auction < next_auction)); // opened already
      CHECK(b.auction >= next_auction - 101);                   // one of those in flight
      CHECK((b.price >= 100 && b.price <= 100000000));
    }
  }
  CHECK(kinds[event_kind::person] == sample / 50);
  CHECK(kinds[event_kind::auction] == 3 * sample / 50);
  CHECK(kinds[event_kind::bid] == 46 * sample / 50);
}

TEST_CASE("generated bids have hot auctions, hot channels and about 100 bytes", "[unit][nexmark][generator]") {
  generator g({3, 1000000});
  std::map<int64_t, uint64_t> per_auction;
  uint64_t bids = 0, hot_channel = 0, with_channel_id = 0, bytes = 0, cheap = 0, dear = 0;
  std::set<std::string> hot{"Google", "Facebook", "Baidu", "Apple"};
  std::map<std::string, std::string> url_of;
  for (uint64_t n = 0; n < sample; ++n) {
    if (kind_of(n) != event_kind::bid) continue;
    bid b;
    g.bid_at(n, b);
    ++bids;
    ++per_auction[b.auction];
    bytes += 32 + b.channel.size() + b.url.size() + b.extra.size();
    bool is_hot = hot.count(b.channel) != 0;
    hot_channel += is_hot;
    if (!is_hot) with_channel_id += b.url.find("&channel_id=") != std::string::npos;
    auto [it, fresh] = url_of.emplace(b.channel, b.url);
    CHECK(it->second == b.url); // each channel has one url
    cheap += b.price < 10000;
    dear += b.price >= 1000000;
  }
  uint64_t top = 0;
  for (auto& [a, c] : per_auction) top = std::max(top, c);
  CHECK(top > bids / 200);                          // a hot auction: far above the ~1% of an even spread
  CHECK(std::abs(static_cast<double>(hot_channel) / bids - 0.5) < 0.02);
  CHECK(std::abs(static_cast<double>(with_channel_id) / (bids - hot_channel) - 0.9) < 0.02);
  INFO("mean bid bytes " << static_cast<double>(bytes) / bids);
  CHECK(std::abs(static_cast<double>(bytes) / bids - 100) < 8);
  // log-uniform over 10^2 .. 10^8: a third of the bids per two decades
  CHECK(std::abs(static_cast<double>(cheap) / bids - 1.0 / 3) < 0.02);
  CHECK(std::abs(static_cast<double>(dear) / bids - 1.0 / 3) < 0.02);
}

TEST_CASE("generated events parse back from their JSON lines", "[unit][nexmark][generator]") {
  generator g({11, 1000000});
  for (uint64_t n = 0; n < 2000; ++n) {
    auto e = g.at(n);
    auto back = parse_event(to_json(e));
    REQUIRE(back);
    CHECK(*back == e);
  }
  bid tricky;
  tricky.channel = "a \"quoted\", \\ back\tslash\n\x01";
  tricky.url = "caf\xc3\xa9";
  tricky.extra = "";
  auto back = parse_event(to_json(tricky));
  REQUIRE(back);
  CHECK(std::get<bid>(*back) == tricky);
}

namespace {

struct capture final : weir::detail::collector<event> {
  std::vector<std::string> seen;
  void collect(const event& e, int64_t ts) override { seen.push_back(to_json(e) + "@" + std::to_string(ts)); }
};

weir::subtask_info subtask(uint32_t index, uint32_t parallelism) {
  weir::subtask_info info;
  info.index = index;
  info.parallelism = parallelism;
  return info;
}

void drain(generator_source& s, capture& c) {
  weir::emitter<event> out(&c);
  while (s.poll(out, 7) == weir::source_status::more) {}
}

} // namespace

TEST_CASE("a generator source takes its share of event numbers and continues from its position",
          "[unit][nexmark][generator]") {
  auto gen = std::make_shared<const generator>(generator_config{5, 1000});
  // Three subtasks together generate each event once, stamped with its time.
  std::multiset<std::string> all, shares;
  for (uint64_t n = 0; n < 1000; ++n) all.insert(to_json(gen->at(n)) + "@" + std::to_string(gen->time_of(n)));
  for (uint32_t i = 0; i < 3; ++i) {
    generator_source s(gen, 1000);
    s.open(subtask(i, 3));
    capture c;
    drain(s, c);
    shares.insert(c.seen.begin(), c.seen.end());
  }
  CHECK(shares == all);

  // A restore continues right after the last event emitted.
  generator_source a(gen, 1000);
  a.open(subtask(1, 3));
  capture first, rest_a, rest_b;
  weir::emitter<event> out(&first);
  a.poll(out, 40);
  std::string position;
  weir::byte_writer w(position);
  a.write_position(w);
  drain(a, rest_a);
  generator_source b(gen, 1000);
  weir::byte_reader r(position);
  b.read_position(r);
  b.open(subtask(1, 3));
  drain(b, rest_b);
  CHECK(first.seen.size() == 40);
  CHECK(rest_a.seen.size() == 333 - 40);
  CHECK(rest_b.seen == rest_a.seen);

  // A position is one subtask's: another subtask refuses it.
  generator_source c(gen, 1000);
  weir::byte_reader r2(position);
  c.read_position(r2);
  CHECK_THROWS_WITH(c.open(subtask(2, 3)), Catch::Contains("not one of subtask 2's event numbers"));
}
