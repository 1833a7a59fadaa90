#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "weir/key_group.hpp"

using namespace weir;

TEST_CASE("key group ranges partition all groups for every parallelism", "[unit][key_group]") {
  for (uint32_t maxp : {1u, 7u, 128u, 1000u}) {
    for (uint32_t p = 1; p <= std::min(maxp, 130u); ++p) {
      std::vector<int> owner(maxp, -1);
      for (uint32_t s = 0; s < p; ++s) {
        auto r = key_group_range_for_subtask(s, maxp, p);
        for (uint32_t kg = r.first; kg < r.last; ++kg) {
          REQUIRE(owner[kg] == -1);
          owner[kg] = static_cast<int>(s);
        }
      }
      for (uint32_t kg = 0; kg < maxp; ++kg) {
        INFO("maxp " << maxp << " p " << p << " kg " << kg);
        REQUIRE(owner[kg] == static_cast<int>(subtask_for_key_group(kg, maxp, p)));
      }
    }
  }
}

TEST_CASE("key hashes are stable across builds", "[unit][key_group]") {
  // Key groups are part of checkpoints and of multi-node routing: a changed
  // hash would send keys to the wrong subtask after a restore.
  CHECK(key_hash(std::string("weir")) == stable_hash(std::string_view("weir")));
  CHECK(stable_hash(uint64_t{0}) == 0xe220a8397b1dcdafULL);
  CHECK(key_group_for_hash(key_hash(int64_t{42}), 128) == key_group_for_hash(stable_hash(uint64_t{42}), 128));
}

TEST_CASE("string keys spread over key groups", "[unit][key_group]") {
  std::vector<int> hits(128, 0);
  for (int i = 0; i < 12800; ++i) ++hits[key_group_for_hash(key_hash("word" + std::to_string(i)), 128)];
  for (int h : hits) {
    CHECK(h > 50);
    CHECK(h < 160);
  }
}
