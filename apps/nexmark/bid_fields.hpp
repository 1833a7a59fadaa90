#pragma once

// Per-bid calculations of q14, q21 and q22 (nexmark.md), shared by the
// queries and the benchmark's loops.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nexmark/event.hpp"

namespace weir::nexmark {

/// q14: whether 1,000,000 < 0.908 * price < 50,000,000, exactly.
constexpr bool q14_price_in_range(int64_t price) noexcept {
  return price >= 1101322 && price <= 55066079;
}

/// q14: "dayTime" (UTC hours 8-18), "nightTime" (0-6, 20-23) or "otherTime" (7, 19).
const char* bid_time_type(int64_t date_time_ms) noexcept;

/// q14: how many bytes of `s` are 'c'.
int64_t count_c(std::string_view s) noexcept;

/// q21: 0-3 for apple, google, facebook, baidu (ASCII case ignored), else
/// the value of the first `channel_id` parameter that starts the url or
/// follows a '&' (possibly empty); none when neither applies.
std::optional<std::string> channel_id(std::string_view channel, std::string_view url);

/// q22: part `index` of `url` split at every '/', empty parts kept; none
/// when there are fewer parts.
std::optional<std::string_view> url_part(std::string_view url, size_t index) noexcept;

// -- orders and calendars -------------------------------------------------

/// Bid order (nexmark.md, "Winning bids"): the higher price first, then the
/// earlier dateTime, the lower bidder, then channel, url, extra ascending.
bool ranks_before(const bid& a, const bid& b) noexcept;

/// Keeps `top` the first `n` bids in bid order with `b` offered: inserted
/// after the bids it does not rank before, the last dropped beyond `n`.
void keep_top(std::vector<bid>& top, const bid& b, size_t n);

/// Whether `b` qualifies for auction `a` (nexmark.md, "Winning bids"):
/// its auction, within [a.dateTime, a.expires], at least the reserve.
bool qualifies(const bid& b, const auction& a) noexcept;

/// q18: whether `a` is a later last bid than `b`: greater by (dateTime,
/// price, channel, url, extra).
bool later_than(const bid& a, const bid& b) noexcept;

/// The UTC day of `ms` as yyyy-MM-dd, and its minute as HH:mm.
std::string utc_day(int64_t ms);
std::string utc_minute(int64_t ms);
/// a + b, or a std::overflow_error naming `what` (the job fails saying so).
int64_t checked_add(int64_t a, int64_t b, const char* what);

/// The first ms of the UTC day holding `ms` (INT64_MIN for the partial first day).
int64_t day_start(int64_t ms) noexcept;
constexpr int64_t day_ms = 86400000;

/// q15-q17: 1 below 10,000, 2 below 1,000,000, else 3.
constexpr int price_rank(int64_t price) noexcept {
  return price < 10000 ? 1 : price < 1000000 ? 2 : 3;
}

// -- result lines (nexmark.md's columns), none when the bid is dropped ------

/// q10: the bid as written into its minute's partition.
std::string q10_line(const bid& b);
std::optional<std::string> q14_line(const bid& b);
std::optional<std::string> q21_line(const bid& b);
std::string q22_line(const bid& b);
/// q18: the pair's last bid; q19: a bid with its rank (1-10).
std::string q18_line(const bid& b);
std::string q19_line(const bid& b, int64_t rank);
/// q9: an auction that closed with its winning bid.
std::string q9_line(const auction& a, const bid& b);
/// q20: a bid with its (category 10) auction.
std::string q20_line(const bid& b, const auction& a);

} // namespace weir::nexmark
