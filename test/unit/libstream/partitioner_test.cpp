#include <catch2/catch.hpp>

#include <map>

#include "weir/codec.hpp"
#include "weir/detail/parts.hpp"

using namespace weir;
using namespace weir::detail;

namespace {

/// Output channels whose sealed batches are decoded back per channel.
struct channels : channel_listener {
  std::vector<std::unique_ptr<output_channel>> owned;
  std::vector<std::vector<int64_t>> received;

  explicit channels(size_t n, size_t batch = 4) : received(n) {
    for (size_t i = 0; i < n; ++i)
      owned.push_back(std::make_unique<output_channel>(*this, static_cast<uint32_t>(i), batch, 1 << 20));
  }
  std::vector<output_channel*> pointers() {
    std::vector<output_channel*> out;
    for (auto& c : owned) out.push_back(c.get());
    return out;
  }
  void on_batch_full(output_channel& ch) override { drain(ch); }
  void on_batch_started(output_channel&) override {}
  void drain(output_channel& ch) {
    auto bytes = ch.builder().seal(ch.index(), 0);
    auto view = decode_frame(bytes.data(), bytes.size());
    REQUIRE(view);
    for (size_t i = 0; i < view->size(); ++i) {
      int64_t v;
      REQUIRE(decode_value(view->value(i), v));
      received[ch.index()].push_back(v);
    }
  }
  void drain_all() {
    for (auto& c : owned)
      if (!c->builder().empty()) drain(*c);
  }
};

auto identity_hash = [](const int64_t& v) { return key_hash(v); };

} // namespace

TEST_CASE("hash partitioning sends a key to the subtask owning its key group", "[unit][partition]") {
  for (uint32_t n : {1u, 2u, 3u, 7u}) {
    channels out(n);
    edge_writer<int64_t, decltype(identity_hash)> writer(out.pointers(), partitioning::hash,
                                                         identity_hash, 128, 0);
    for (int64_t k = 0; k < 1000; ++k) writer.collect(k, no_timestamp);
    out.drain_all();
    size_t total = 0;
    for (uint32_t s = 0; s < n; ++s) {
      auto range = key_group_range_for_subtask(s, 128, n);
      for (int64_t k : out.received[s]) REQUIRE(range.contains(key_group_for_hash(key_hash(k), 128)));
      total += out.received[s].size();
    }
    CHECK(total == 1000);
  }
}

TEST_CASE("rebalance deals records round robin starting at the producer's index", "[unit][partition]") {
  channels out(3);
  edge_writer<int64_t, decltype(identity_hash)> writer(out.pointers(), partitioning::rebalance,
                                                       identity_hash, 128, 1);
  for (int64_t k = 0; k < 9; ++k) writer.collect(k, no_timestamp);
  out.drain_all();
  CHECK(out.received[1] == std::vector<int64_t>{0, 3, 6});
  CHECK(out.received[2] == std::vector<int64_t>{1, 4, 7});
  CHECK(out.received[0] == std::vector<int64_t>{2, 5, 8});
}

TEST_CASE("broadcast copies every record to every channel", "[unit][partition]") {
  channels out(3);
  edge_writer<int64_t, decltype(identity_hash)> writer(out.pointers(), partitioning::broadcast,
                                                       identity_hash, 128, 0);
  for (int64_t k = 0; k < 5; ++k) writer.collect(k, no_timestamp);
  out.drain_all();
  for (auto& r : out.received) CHECK(r == std::vector<int64_t>{0, 1, 2, 3, 4});
}

TEST_CASE("a channel seals when its batch is full and keeps the remainder", "[unit][partition]") {
  channels out(1, 4);
  edge_writer<int64_t, decltype(identity_hash)> writer(out.pointers(), partitioning::forward,
                                                       identity_hash, 128, 0);
  for (int64_t k = 0; k < 10; ++k) writer.collect(k, no_timestamp);
  CHECK(out.received[0].size() == 8);       // two full batches of 4
  CHECK(out.owned[0]->builder().size() == 2); // the rest waits for the flush timeout
}
