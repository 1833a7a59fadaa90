#include "weir/key_group.hpp"

namespace weir {

uint64_t stable_hash(std::string_view bytes) noexcept {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  // FNV alone spreads short keys poorly in the low bits that `% max_parallelism` uses.
  return stable_hash(h);
}

key_group_range key_group_range_for_subtask(uint32_t subtask, uint32_t max_parallelism,
                                            uint32_t parallelism) noexcept {
  // The smallest kg with kg * p / maxp >= subtask is ceil(subtask * maxp / p).
  auto first_of = [&](uint64_t s) {
    return static_cast<uint32_t>((s * max_parallelism + parallelism - 1) / parallelism);
  };
  return {first_of(subtask), first_of(subtask + 1)};
}

} // namespace weir
