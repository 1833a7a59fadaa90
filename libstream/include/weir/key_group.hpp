#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

#include "weir/codec.hpp"

namespace weir {

/// Default number of key groups: the most subtasks a keyed operator can ever have.
constexpr uint32_t default_max_parallelism = 128;

/// A contiguous, inclusive-exclusive range of key groups [first, last).
struct key_group_range {
  uint32_t first = 0; ///< The first key group in the range.
  uint32_t last = 0;  ///< One past the last key group in the range.
  /// Whether key group `kg` is in the range.
  bool contains(uint32_t kg) const noexcept { return kg >= first && kg < last; }
  /// How many key groups the range holds.
  uint32_t size() const noexcept { return last - first; }
};

/// A stable 64-bit hash of bytes (64-bit finalizer-mixed FNV-style). Stable
/// across processes and builds, so a key lands in the same key group on every
/// node and after a restore; never std::hash, whose values are unspecified.
uint64_t stable_hash(std::string_view bytes) noexcept;

/// Mixes an integer into a well-spread 64-bit hash (splitmix64 finalizer).
constexpr uint64_t stable_hash(uint64_t x) noexcept {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

/// Hashes a key: integers and strings directly, anything else through its codec bytes.
template <class K>
uint64_t key_hash(const K& key) {
  if constexpr (std::is_integral_v<K>) {
    return stable_hash(static_cast<uint64_t>(key));
  } else if constexpr (std::is_convertible_v<const K&, std::string_view>) {
    return stable_hash(std::string_view(key));
  } else {
    std::string bytes;
    encode_value(key, bytes);
    return stable_hash(std::string_view(bytes));
  }
}

/// The key group of a hash, in [0, max_parallelism).
inline uint32_t key_group_for_hash(uint64_t hash, uint32_t max_parallelism) noexcept {
  return static_cast<uint32_t>(hash % max_parallelism);
}

/// The subtask that owns key group `kg` (Flink's assignment: contiguous ranges).
inline uint32_t subtask_for_key_group(uint32_t kg, uint32_t max_parallelism,
                                      uint32_t parallelism) noexcept {
  return static_cast<uint32_t>(static_cast<uint64_t>(kg) * parallelism / max_parallelism);
}

/// The key groups owned by `subtask` out of `parallelism`; the inverse of
/// subtask_for_key_group. Requires parallelism <= max_parallelism.
key_group_range key_group_range_for_subtask(uint32_t subtask, uint32_t max_parallelism,
                                            uint32_t parallelism) noexcept;

} // namespace weir
