#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <iostream>

#include "jobs/wordcount.hpp"
#include "support/part_files.hpp"
#include "support/temp_dir.hpp"
#include "support/text.hpp"
#include "weir/job_registry.hpp"
#include "weir/sinks.hpp"
#include "weir/stream.hpp"

using namespace weir;

namespace {

/// Checks the part files: each word lives in one file, its lines counting 1, 2, ... n.
std::map<std::string, int64_t> check_running_counts(const std::string& dir) {
  std::map<std::string, int64_t> last;
  std::map<std::string, std::string> file_of;
  for (const auto& name : test::part_files(dir)) {
    std::ifstream in(name);
    std::string line;
    while (std::getline(in, line)) {
      auto tab = line.find('\t');
      REQUIRE(tab != std::string::npos);
      auto word = line.substr(0, tab);
      auto count = std::stoll(line.substr(tab + 1));
      REQUIRE(count == last[word] + 1);
      last[word] = count;
      auto& file = file_of[word];
      if (file.empty()) file = name;
      REQUIRE(file == name);
    }
  }
  return last;
}

} // namespace

TEST_CASE("word count equals the reference at parallelism 1-4 and random batching",
          "[integration][wordcount]") {
  apps::register_wordcount();
  auto seed = test::test_seed();
  std::cout << "wordcount invariance seed " << seed << " (WEIR_TEST_SEED)" << std::endl;
  std::mt19937_64 rng(seed);
  test::temp_dir dir;
  auto text = test::random_text(rng, 3000);
  test::write_file(dir.file("in.txt"), text);
  auto expected = test::reference_counts(text);
  for (int run = 0; run < 8; ++run) {
    auto p = std::to_string(1 + run % 4);
    auto out = dir.file("out-" + std::to_string(run));
    environment env;
    env.options().batch_size = 1 + rng() % 512;
    env.options().credit_window = 1 + static_cast<uint32_t>(rng() % 8);
    env.set_chaining(rng() % 2 == 0);
    INFO("run " << run << " parallelism " << p << " batch " << env.options().batch_size
                << " window " << env.options().credit_window);
    REQUIRE_FALSE(build_registered_job(env, "wordcount",
                                       {{"input", dir.file("in.txt")}, {"output", out}, {"parallelism", p}}));
    auto result = env.execute("wordcount");
    REQUIRE(result.ok());
    CHECK(result.source_records == 3000);
    CHECK(check_running_counts(out) == expected);
  }
}

TEST_CASE("a keyed pipeline gives the same result at random parallelism 1-8", "[integration][invariance]") {
  auto seed = test::test_seed();
  std::cout << "keyed invariance seed " << seed << " (WEIR_TEST_SEED)" << std::endl;
  std::mt19937_64 rng(seed);
  using kv = std::pair<int64_t, int64_t>;
  std::map<int64_t, int64_t> expected;
  for (uint64_t i = 0; i < 20000; ++i)
    if ((i * 7) % 3 != 0) expected[static_cast<int64_t>(i % 97)] += static_cast<int64_t>(i * 7);
  for (int run = 0; run < 6; ++run) {
    environment env;
    env.set_parallelism(1 + static_cast<uint32_t>(rng() % 8));
    env.options().batch_size = 1 + rng() % 512;
    env.set_chaining(rng() % 2 == 0);
    auto out = std::make_shared<collected<kv>>();
    env.generate(20000, [](uint64_t i) { return kv{static_cast<int64_t>(i % 97), static_cast<int64_t>(i)}; })
      .uid("gen").parallelism(1 + static_cast<uint32_t>(rng() % 8))
      .map([](const kv& r) { return kv{r.first, r.second * 7}; }).uid("times7")
      .rebalance()
      .filter([](const kv& r) { return r.second % 3 != 0; }).uid("drop")
      .key_by([](const kv& r) { return r.first; })
      .reduce([](const kv& a, const kv& b) { return kv{a.first, a.second + b.second}; }).uid("sum")
      .sink(collect_sink(out)).uid("out");
    INFO("run " << run << " parallelism " << env.graph().default_parallelism << " batch "
                << env.options().batch_size);
    auto result = env.execute("keyed");
    REQUIRE(result.ok());
    std::map<int64_t, int64_t> last;
    for (auto& r : out->values()) last[r.first] = std::max(last[r.first], r.second);
    CHECK(last == expected);
  }
}

TEST_CASE("one stream feeding two operators sends every record to both", "[integration][fanout]") {
  environment env;
  env.set_parallelism(2);
  auto evens = std::make_shared<collected<int64_t>>();
  auto all = std::make_shared<collected<int64_t>>();
  auto src = env.generate(1000, [](uint64_t i) { return static_cast<int64_t>(i); }).uid("gen");
  src.filter([](int64_t x) { return x % 2 == 0; }).uid("evens").sink(collect_sink(evens)).uid("out-evens");
  src.broadcast().map([](int64_t x) { return x; }).uid("copy").sink(collect_sink(all)).uid("out-all");
  auto result = env.execute("fanout");
  REQUIRE(result.ok());
  CHECK(evens->values().size() == 500);
  CHECK(all->values().size() == 2000); // broadcast: each of the 2 copies sees all 1000
}
