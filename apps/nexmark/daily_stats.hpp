#pragma once

// q15, q16 and q17's daily statistics (nexmark.md): counts of bids per price
// rank, of distinct bidders and auctions per rank, and q17's prices.

#include <array>
#include <cstdint>
#include <string>

#include "nexmark/event.hpp"

namespace weir::nexmark {

/// Counts in a group: [0] in total, [1..3] of price rank 1..3.
using rank_counts = std::array<int64_t, 4>;

/// Adds one bid of `rank` to `counts`.
inline void count_rank(rank_counts& counts, int rank) noexcept {
  ++counts[0];
  ++counts[static_cast<size_t>(rank)];
}

/// Distinct ids (bidders or auctions) from a map id -> bit mask of the
/// ranks its bids had (bit r for rank r): [0] all, [r] those with rank r.
template <class Map>
rank_counts distinct_by_rank(const Map& ranks_of) {
  rank_counts out{};
  for (const auto& [id, mask] : ranks_of) {
    ++out[0];
    for (size_t r = 1; r <= 3; ++r) out[r] += (mask >> r) & 1;
  }
  return out;
}

/// "total,rank1,rank2,rank3" for bids, then bidders, then auctions.
std::string daily_counts_fields(const rank_counts& bids, const rank_counts& bidders, const rank_counts& auctions);

/// q17's prices of a group: count per rank, min, max, sum.
struct price_stats {
  rank_counts bids{};
  int64_t min = INT64_MAX, max = INT64_MIN, sum = 0;
  void add(int64_t price); // throws std::overflow_error when the sum overflows
  void merge(const price_stats& o);
  /// "total,rank1,rank2,rank3,min,max,avg,sum" (avg = sum / total, truncated).
  std::string fields() const;
};

} // namespace weir::nexmark

namespace weir {

template <>
struct codec<nexmark::price_stats> {
  static std::string type_name() { return "nexmark.price_stats"; }
  static void encode(const nexmark::price_stats& s, byte_writer& out) {
    for (auto n : s.bids) codec<int64_t>::encode(n, out);
    codec<int64_t>::encode(s.min, out);
    codec<int64_t>::encode(s.max, out);
    codec<int64_t>::encode(s.sum, out);
  }
  static nexmark::price_stats decode(byte_reader& in) {
    nexmark::price_stats s;
    for (auto& n : s.bids) n = codec<int64_t>::decode(in);
    s.min = codec<int64_t>::decode(in);
    s.max = codec<int64_t>::decode(in);
    s.sum = codec<int64_t>::decode(in);
    return s;
  }
};

} // namespace weir
