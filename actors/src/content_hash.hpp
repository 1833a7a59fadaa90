#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

namespace weir::runtime {

/// A fast 64-bit hash of bytes for checking stored blobs (not for keys, not
/// cryptographic): a checkpoint's manifest records each blob's hash and a
/// restore refuses a blob whose bytes no longer match.
inline uint64_t content_hash(std::string_view bytes) noexcept {
  constexpr uint64_t m = 0x9e3779b97f4a7c15ULL;
  uint64_t h = 0x243f6a8885a308d3ULL ^ (bytes.size() * m);
  size_t i = 0;
  for (; i + 8 <= bytes.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, bytes.data() + i, 8);
    h = (h ^ w) * m;
    h ^= h >> 29;
  }
  uint64_t tail = 0;
  std::memcpy(&tail, bytes.data() + i, bytes.size() - i);
  h = (h ^ tail) * m;
  h ^= h >> 32;
  h *= 0xbf58476d1ce4e5b9ULL;
  return h ^ (h >> 31);
}

} // namespace weir::runtime
