#include "nexmark/daily_stats.hpp"

#include <algorithm>

#include "nexmark/bid_fields.hpp"
#include "nexmark/format.hpp"

namespace weir::nexmark {

namespace {

std::string counts(const rank_counts& c) {
  return join({str(c[0]), str(c[1]), str(c[2]), str(c[3])});
}

} // namespace

std::string daily_counts_fields(const rank_counts& bids, const rank_counts& bidders, const rank_counts& auctions) {
  return join({counts(bids), counts(bidders), counts(auctions)});
}

void price_stats::add(int64_t price) {
  count_rank(bids, price_rank(price));
  min = std::min(min, price);
  max = std::max(max, price);
  sum = checked_add(sum, price, "q17: an auction's daily price sum");
}

void price_stats::merge(const price_stats& o) {
  for (size_t i = 0; i < bids.size(); ++i) bids[i] += o.bids[i];
  min = std::min(min, o.min);
  max = std::max(max, o.max);
  sum = checked_add(sum, o.sum, "q17: an auction's daily price sum");
}

std::string price_stats::fields() const {
  return join({counts(bids), str(min), str(max), str(bids[0] == 0 ? 0 : sum / bids[0]), str(sum)});
}

} // namespace weir::nexmark
