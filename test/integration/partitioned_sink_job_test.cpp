// Jobs writing event-time partitions: every record once, in the directory of
// its time, every partition committed, across a failure and a restore.

#include <catch2/catch.hpp>

#include <atomic>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include "support/paced_source.hpp"
#include "support/seed.hpp"
#include "support/temp_dir.hpp"
#include "weir/stream.hpp"

using namespace weir;
namespace fs = std::filesystem;

namespace {

constexpr int64_t period = 100; // ms of event time per partition
constexpr int64_t step = 3;     // ms of event time between records

time_partitions tenths() {
  return {period, [](int64_t start) { return "p=" + std::to_string(start / period); }};
}

struct partition_files {
  std::vector<int64_t> records; // from part files, in the order read
  bool committed = false;       // has _SUCCESS
  std::vector<std::string> strays; // anything else
};

/// Every partition directory under `dir`, by name.
std::map<std::string, partition_files> read_partitions(const std::string& dir) {
  std::map<std::string, partition_files> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    auto name = e.path().filename().string();
    if (name == ".weir-lock") continue;
    auto& p = out[name];
    if (!e.is_directory()) {
      p.strays.push_back(name);
      continue;
    }
    for (const auto& f : fs::directory_iterator(e.path())) {
      auto file = f.path().filename().string();
      if (file == "_SUCCESS") {
        p.committed = true;
      } else if (file.rfind("part-", 0) == 0) {
        std::istringstream in(test::read_file(f.path().string()));
        for (std::string line; std::getline(in, line);) p.records.push_back(std::stoll(line));
      } else {
        p.strays.push_back(file);
      }
    }
  }
  return out;
}

void check_exact(const std::string& dir, int64_t n) {
  auto partitions = read_partitions(dir);
  std::multiset<int64_t> seen;
  for (const auto& [name, p] : partitions) {
    INFO("partition " << name);
    CHECK(p.strays.empty());
    CHECK(p.committed);
    for (auto r : p.records) {
      CHECK(name == "p=" + std::to_string(r * step / period)); // in the directory of its time
      seen.insert(r);
    }
  }
  REQUIRE(seen.size() == static_cast<size_t>(n)); // none lost, none twice
  CHECK(std::set<int64_t>(seen.begin(), seen.end()).size() == seen.size());
  CHECK(partitions.size() == static_cast<size_t>((n - 1) * step / period + 1));
}

/// Records 0..n-1 at event time i * step, paced, to a partitioned sink at
/// parallelism 2; `fail_at(i)` may throw.
template <class FailAt>
void build(environment& env, int64_t n, const std::string& out, FailAt fail_at) {
  env.set_parallelism(2);
  env.add_source<int64_t>(test::paced(static_cast<uint64_t>(n), 10.0, [](uint64_t i) { return static_cast<int64_t>(i); }))
    .uid("numbers")
    .assign_timestamps_and_watermarks(watermark_strategy<int64_t>::for_bounded_out_of_orderness(std::chrono::milliseconds(5))
                                        .with_timestamp_assigner([](const int64_t& i) { return i * step; }))
    .uid("time")
    .map([fail_at](const int64_t& i) {
      fail_at(i);
      return std::to_string(i);
    })
    .uid("format")
    .sink(partitioned_file_sink(out, tenths()))
    .uid("out");
}

} // namespace

TEST_CASE("a partitioned sink writes each record once into its time's directory and commits every partition",
          "[integration][partitioned-sink]") {
  test::temp_dir dir;
  environment env;
  build(env, 3000, dir.file("out"), [](int64_t) {});
  auto result = env.execute("partitions");
  INFO(result.failure.to_string());
  REQUIRE(result.ok());
  check_exact(dir.file("out"), 3000);
}

TEST_CASE("a partitioned sink stays exact across a failure and a restore from a checkpoint",
          "[integration][partitioned-sink][checkpoint]") {
  auto seed = test::test_seed();
  INFO("seed " << seed); // WEIR_TEST_SEED replays it
  std::mt19937_64 rng(seed);
  constexpr int64_t n = 6000;
  int64_t fail_at = n / 2 + static_cast<int64_t>(rng() % (n / 4));
  static std::atomic<int> thrown{0};
  thrown = 0;
  test::temp_dir dir;
  environment env;
  env.options().checkpoints.interval_ms = 30;
  env.options().restart = restart_strategy::fixed_delay(3, 10);
  build(env, n, dir.file("out"), [fail_at](int64_t i) {
    if (i == fail_at && thrown.fetch_add(1) == 0) throw std::runtime_error("unlucky record");
  });
  auto result = env.execute("partitions-restored");
  INFO(result.failure.to_string());
  REQUIRE(result.ok());
  CHECK(thrown == 2); // the fault happened, and the record came again after the restore
  CHECK(result.restarts == 1);
  CHECK(result.checkpoints >= 1); // usually a dozen; a machine loaded 15 times over managed one
  check_exact(dir.file("out"), n);
}

TEST_CASE("a partitioned sink on a forward edge is refused", "[integration][partitioned-sink]") {
  test::temp_dir dir;
  environment env;
  auto lines = env.add_source<int64_t>(test::paced(10, 10.0, [](uint64_t i) { return static_cast<int64_t>(i); }))
                 .map([](const int64_t& i) { return std::to_string(i); });
  CHECK_THROWS_WITH(lines.forward().sink(partitioned_file_sink(dir.file("out"), tenths())),
                    Catch::Contains("every upstream subtask's watermark"));
}
