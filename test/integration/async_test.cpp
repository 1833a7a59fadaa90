// Async I/O in whole jobs against a slow local HTTP service (each answer
// takes 0 to 12 ms): prices looked up for 1,500 ids equal an oracle, ordered
// and unordered, at any parallelism, batch size and chaining, and through a
// restart; ordered results keep their input order and unordered ones do
// not; a capacity bounds the requests in flight; a request slower than the
// timeout takes the fallback or fails the job naming the operator.

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/run_shapes.hpp"
#include "support/slow_service.hpp"
#include "weir/sinks.hpp"
#include "weir/stream.hpp"

using namespace weir;

namespace {

constexpr int64_t ids = 1500;

std::vector<int64_t> oracle(int64_t n) {
  std::vector<int64_t> out;
  for (int64_t id = 0; id < n; ++id) out.push_back(id * 7);
  return out;
}

std::vector<int64_t> sorted(std::vector<int64_t> v) {
  std::sort(v.begin(), v.end());
  return v;
}

async_options lookups(size_t capacity, bool ordered) {
  async_options o;
  o.capacity = capacity;
  o.ordered = ordered;
  o.timeout = std::chrono::seconds(30);
  return o;
}

std::atomic<int> fail{0};

/// ids -> async price lookups (uid "prices") -> a check that fails once
/// when asked -> collected.
std::shared_ptr<collected<int64_t>> price_job(environment& env, const std::shared_ptr<test::price_client>& client,
                                              int64_t n, async_options options) {
  auto out = std::make_shared<collected<int64_t>>();
  env.generate(n, [](uint64_t i) { return static_cast<int64_t>(i); }).uid("ids")
    .async_map([client](const int64_t& id) { return client->price(id); }, options).uid("prices")
    .map([](const int64_t& price) {
      if (price == 1000 * 7 && fail.fetch_sub(1) > 0) throw std::runtime_error("once");
      return price;
    }).uid("check")
    .sink(collect_sink(out)).uid("out");
  return out;
}

} // namespace

TEST_CASE("async lookups against a slow HTTP service equal an oracle, ordered and unordered, at any "
          "parallelism, batch size and chaining, and through a restart",
          "[integration][async]") {
  test::slow_service service;
  auto client = std::make_shared<test::price_client>(service.port(), 16);
  auto want = oracle(ids);
  for (bool ordered : {true, false})
    for (const auto& shape : test::run_shapes()) {
      fail = shape.failures;
      environment env;
      test::apply_shape(env, shape);
      auto out = price_job(env, client, ids, lookups(8, ordered));
      auto run = env.execute("async-prices");
      INFO((ordered ? "ordered, " : "unordered, ") << shape << ": " << run.failure.to_string());
      REQUIRE(run.ok());
      CHECK(run.restarts == static_cast<uint32_t>(shape.failures));
      CHECK(sorted(out->values()) == want);
    }
}

TEST_CASE("ordered results keep their input order, unordered ones go as the service answers",
          "[integration][async]") {
  test::slow_service service;
  auto client = std::make_shared<test::price_client>(service.port(), 16);
  for (bool ordered : {true, false}) {
    fail = 0;
    environment env; // parallelism 1 throughout: one input order, one output order
    auto out = price_job(env, client, 1000, lookups(16, ordered));
    auto run = env.execute("async-order");
    INFO(run.failure.to_string());
    REQUIRE(run.ok());
    auto got = out->values();
    REQUIRE(got.size() == 1000);
    if (ordered)
      CHECK(got == oracle(1000));
    else
      CHECK(got != oracle(1000)); // later ids with shorter delays overtook earlier ones
  }
}

TEST_CASE("a subtask keeps at most its capacity of requests in flight", "[integration][async][backpressure]") {
  test::slow_service service;
  auto client = std::make_shared<test::price_client>(service.port(), 32); // more threads than the capacity
  fail = 0;
  environment env;
  env.set_parallelism(2);
  auto out = price_job(env, client, ids, lookups(4, false));
  auto run = env.execute("async-capacity");
  INFO(run.failure.to_string());
  REQUIRE(run.ok());
  CHECK(out->values().size() == static_cast<size_t>(ids));
  CHECK(service.max_concurrent() <= 8); // 2 subtasks x 4
  CHECK(service.max_concurrent() >= 2);
}

TEST_CASE("a request slower than the timeout takes the fallback, or fails the job naming the operator",
          "[integration][async][timeout]") {
  test::slow_service service([](int64_t id) { return id % 100 == 42; }, 2000);
  auto client = std::make_shared<test::price_client>(service.port(), 32);
  async_options o = lookups(16, true);
  o.timeout = std::chrono::milliseconds(300);
  SECTION("fallback") {
    environment env;
    env.set_parallelism(2);
    auto out = std::make_shared<collected<int64_t>>();
    env.generate(300, [](uint64_t i) { return static_cast<int64_t>(i); }).uid("ids")
      .async_map([client](const int64_t& id) { return client->price(id); }, o, [](const int64_t& id) { return -id; })
      .uid("prices")
      .sink(collect_sink(out)).uid("out");
    auto run = env.execute("async-timeout");
    INFO(run.failure.to_string());
    REQUIRE(run.ok());
    std::vector<int64_t> want;
    for (int64_t id = 0; id < 300; ++id) want.push_back(id % 100 == 42 ? -id : id * 7);
    CHECK(sorted(out->values()) == sorted(want));
  }
  SECTION("failure") {
    environment env;
    env.generate(300, [](uint64_t i) { return static_cast<int64_t>(i); }).uid("ids")
      .async_map([client](const int64_t& id) { return client->price(id); }, o).uid("prices")
      .sink(collect_sink(std::make_shared<collected<int64_t>>())).uid("out");
    auto run = env.execute("async-timeout-fails");
    REQUIRE_FALSE(run.ok());
    CHECK_THAT(run.failure.to_string(), Catch::Contains("prices") && Catch::Contains("timed out after 300 ms"));
  }
}
