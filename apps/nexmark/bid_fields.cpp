#include "nexmark/bid_fields.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <stdexcept>
#include <tuple>

#include "nexmark/format.hpp"
#include "nexmark/queries.hpp"

namespace weir::nexmark {

const char* bid_time_type(int64_t date_time_ms) noexcept {
  constexpr int64_t hour_ms = 3600000;
  int64_t hours = date_time_ms / hour_ms - (date_time_ms % hour_ms < 0 ? 1 : 0); // floor
  int64_t h = ((hours % 24) + 24) % 24;
  if (h >= 8 && h <= 18) return "dayTime";
  if (h <= 6 || h >= 20) return "nightTime";
  return "otherTime";
}

int64_t count_c(std::string_view s) noexcept {
  int64_t n = 0;
  for (char c : s) n += c == 'c';
  return n;
}

namespace {

bool equals_ignoring_ascii_case(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i] >= 'A' && a[i] <= 'Z' ? static_cast<char>(a[i] - 'A' + 'a') : a[i];
    if (x != b[i]) return false;
  }
  return true;
}

} // namespace

std::optional<std::string> channel_id(std::string_view channel, std::string_view url) {
  static const std::array<std::string_view, 4> named{"apple", "google", "facebook", "baidu"};
  for (size_t i = 0; i < named.size(); ++i)
    if (equals_ignoring_ascii_case(channel, named[i])) return std::to_string(i);
  constexpr std::string_view param = "channel_id=";
  for (size_t at = url.find(param); at != std::string_view::npos; at = url.find(param, at + 1)) {
    if (at != 0 && url[at - 1] != '&') continue;
    auto value = url.substr(at + param.size());
    return std::string(value.substr(0, value.find('&')));
  }
  return std::nullopt;
}

std::optional<std::string_view> url_part(std::string_view url, size_t index) noexcept {
  size_t start = 0;
  for (size_t i = 0; i < index; ++i) {
    auto slash = url.find('/', start);
    if (slash == std::string_view::npos) return std::nullopt;
    start = slash + 1;
  }
  return url.substr(start, url.find('/', start) - start);
}

bool ranks_before(const bid& a, const bid& b) noexcept {
  return std::tie(b.price, a.date_time, a.bidder, a.channel, a.url, a.extra)
         < std::tie(a.price, b.date_time, b.bidder, b.channel, b.url, b.extra);
}

void keep_top(std::vector<bid>& top, const bid& b, size_t n) {
  if (top.size() >= n && !ranks_before(b, top.back())) return;
  top.insert(std::upper_bound(top.begin(), top.end(), b, ranks_before), b);
  if (top.size() > n) top.pop_back();
}

bool qualifies(const bid& b, const auction& a) noexcept {
  return b.auction == a.id && a.date_time <= b.date_time && b.date_time <= a.expires && b.price >= a.reserve;
}

bool later_than(const bid& a, const bid& b) noexcept {
  return std::tie(a.date_time, a.price, a.channel, a.url, a.extra)
         > std::tie(b.date_time, b.price, b.channel, b.url, b.extra);
}

int64_t checked_add(int64_t a, int64_t b, const char* what) {
  int64_t sum = 0;
  if (__builtin_add_overflow(a, b, &sum)) throw std::overflow_error(std::string(what) + " overflows int64");
  return sum;
}

int64_t day_start(int64_t ms) noexcept {
  int64_t days = ms / day_ms - (ms % day_ms < 0 ? 1 : 0);
  return days < INT64_MIN / day_ms ? INT64_MIN : days * day_ms;
}

std::string utc_day(int64_t ms) {
  // Days since 1970-01-01 to a civil date (the proleptic Gregorian calendar
  // in 400-year eras of 146,097 days).
  int64_t z = day_start(ms) / day_ms + 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  int64_t day = doy - (153 * mp + 2) / 5 + 1;
  int64_t month = mp < 10 ? mp + 3 : mp - 9;
  int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04lld-%02lld-%02lld", static_cast<long long>(year),
                static_cast<long long>(month), static_cast<long long>(day));
  return buf;
}

std::string utc_minute(int64_t ms) {
  int64_t minutes = (ms - day_start(ms)) / 60000;
  char buf[8];
  std::snprintf(buf, sizeof buf, "%02d:%02d", static_cast<int>(minutes / 60), static_cast<int>(minutes % 60));
  return buf;
}

std::string q18_line(const bid& b) {
  return join({str(b.auction), str(b.bidder), str(b.price), csv_field(b.channel), csv_field(b.url),
               str(b.date_time), csv_field(b.extra)});
}

std::string q19_line(const bid& b, int64_t rank) {
  return q18_line(b) + "," + str(rank);
}

std::string q10_line(const bid& b) {
  return join({str(b.auction), str(b.bidder), str(b.price), str(b.date_time), csv_field(b.extra)});
}

std::optional<std::string> q14_line(const bid& b) {
  if (!q14_price_in_range(b.price)) return std::nullopt;
  return join({str(b.auction), str(b.bidder), euros(b.price), bid_time_type(b.date_time), str(b.date_time),
               csv_field(b.extra), str(count_c(b.extra))});
}

std::optional<std::string> q21_line(const bid& b) {
  auto id = channel_id(b.channel, b.url);
  if (!id) return std::nullopt;
  return join({str(b.auction), str(b.bidder), str(b.price), csv_field(b.channel), csv_field(*id)});
}

std::string q22_line(const bid& b) {
  auto part = [&](size_t i) { return csv_field(std::string(url_part(b.url, i).value_or(""))); };
  return join({str(b.auction), str(b.bidder), str(b.price), csv_field(b.channel), part(3), part(4), part(5)});
}

std::string q9_line(const auction& a, const bid& b) {
  return join({str(a.id), csv_field(a.item_name), csv_field(a.description), str(a.initial_bid), str(a.reserve),
               str(a.date_time), str(a.expires), str(a.seller), str(a.category), csv_field(a.extra), str(b.auction),
               str(b.bidder), str(b.price), str(b.date_time), csv_field(b.extra)});
}

std::string q20_line(const bid& b, const auction& a) {
  return join({str(b.auction), str(b.bidder), str(b.price), csv_field(b.channel), csv_field(b.url),
               str(b.date_time), csv_field(b.extra), csv_field(a.item_name), csv_field(a.description),
               str(a.initial_bid), str(a.reserve), str(a.date_time), str(a.expires), str(a.seller),
               str(a.category), csv_field(a.extra)});
}

} // namespace weir::nexmark
