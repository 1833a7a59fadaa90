#include <catch2/catch.hpp>

#include <random>
#include <unordered_map>

#include "support/seed.hpp"
#include "weir/detail/flat_map.hpp"

using weir::detail::flat_map;

namespace {

/// Few distinct homes: long probe runs that wrap around the table's end.
struct crowded_hash {
  size_t operator()(int64_t k) const { return static_cast<size_t>(k % 5) * 0x9e3779b97f4a7c15ULL >> 3; }
};
struct good_hash {
  size_t operator()(int64_t k) const { return std::hash<int64_t>{}(k) * 0x9e3779b97f4a7c15ULL; }
};

template <class Hash>
void agrees_with_unordered_map(uint64_t seed) {
  std::mt19937_64 rng(seed);
  flat_map<int64_t, int64_t, Hash> map;
  std::unordered_map<int64_t, int64_t> ref;
  for (int step = 0; step < 20000; ++step) {
    int64_t key = static_cast<int64_t>(rng() % 300);
    switch (rng() % 4) {
      case 0:
      case 1:
        map[key] += step;
        ref[key] += step;
        break;
      case 2:
        REQUIRE(map.erase(key) == ref.erase(key));
        break;
      case 3: {
        auto it = map.find(key);
        auto r = ref.find(key);
        REQUIRE((it == map.end()) == (r == ref.end()));
        if (r != ref.end()) {
          REQUIRE(it->second == r->second);
          map.erase(it);
          ref.erase(r);
        }
        break;
      }
    }
    REQUIRE(map.size() == ref.size());
  }
  size_t seen = 0;
  for (const auto& [k, v] : map) {
    ++seen;
    REQUIRE(ref.at(k) == v);
  }
  CHECK(seen == ref.size());
}

} // namespace

TEST_CASE("flat_map agrees with std::unordered_map under random inserts, finds and erases",
          "[unit][flat_map]") {
  auto seed = weir::test::test_seed();
  INFO("seed " << seed);
  agrees_with_unordered_map<good_hash>(seed);
  agrees_with_unordered_map<crowded_hash>(seed); // probe runs wrap; erasing shifts them back
}

TEST_CASE("flat_map keeps every key across growth", "[unit][flat_map]") {
  flat_map<int64_t, std::string, good_hash> map;
  for (int64_t k = 0; k < 100000; ++k) map.try_emplace(k, std::to_string(k));
  REQUIRE(map.size() == 100000);
  for (int64_t k = 0; k < 100000; k += 997) REQUIRE(map.find(k)->second == std::to_string(k));
  CHECK_FALSE(map.try_emplace(5, "again").second);
  CHECK(map.find(100000) == map.end());
}

// Found in review: one map holds one key group, whose keys all share the low
// hash bits that chose the group; taking the home slot from those bits made
// every key probe past every other.
TEST_CASE("keys sharing their low hash bits still spread over the table", "[unit][flat_map][regression]") {
  struct group_hash { // what one key group's keys look like: hash % 128 is the same for all
    size_t operator()(int64_t k) const { return static_cast<size_t>(k) * 128 + 5; }
  };
  flat_map<int64_t, int64_t, group_hash> map;
  for (int64_t k = 0; k < 10000; ++k) map[k * 7919] = k;
  CHECK(map.size() == 10000);
  CHECK(map.longest_probe() < 64);
}
