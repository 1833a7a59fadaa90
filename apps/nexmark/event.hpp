#pragma once

// Nexmark events (../shared/nexmark.md): people, auctions and bids, read from
// JSON lines. Times are milliseconds since the epoch.

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "weir/codec.hpp"
#include "weir/error.hpp"

namespace weir::nexmark {

struct person {
  int64_t id = 0;
  std::string name;
  std::string email_address;
  std::string credit_card;
  std::string city;
  std::string state;
  int64_t date_time = 0;
  std::string extra;
  bool operator==(const person& o) const;
};

struct auction {
  int64_t id = 0;
  std::string item_name;
  std::string description;
  int64_t initial_bid = 0;
  int64_t reserve = 0;
  int64_t date_time = 0;
  int64_t expires = 0;
  int64_t seller = 0;
  int64_t category = 0;
  std::string extra;
  bool operator==(const auction& o) const;
};

struct bid {
  int64_t auction = 0;
  int64_t bidder = 0;
  int64_t price = 0;
  std::string channel;
  std::string url;
  int64_t date_time = 0;
  std::string extra;
  bool operator==(const bid& o) const;
};

using event = std::variant<person, auction, bid>;

/// The event's dateTime.
int64_t event_time(const event& e) noexcept;

/// Parses one JSON line (see nexmark.md for the fields of each "type").
/// Unknown fields are ignored; a missing field, a wrong type, a malformed
/// value or trailing garbage is an errc::malformed_record error whose message
/// names the problem and its column (1-based), e.g.
/// "column 17: expected a number for \"id\"". Never throws.
expected<event> parse_event(std::string_view line);

/// One JSON line in the format parse_event reads (without a newline):
/// parse_event(to_json(e)) == e for every event.
std::string to_json(const event& e);

} // namespace weir::nexmark

namespace weir {

template <>
struct codec<nexmark::person> {
  static std::string type_name() { return "nexmark.person"; }
  static void encode(const nexmark::person& p, byte_writer& out);
  static nexmark::person decode(byte_reader& in);
  /// Into an existing person, reusing its strings' memory.
  static void decode_into(byte_reader& in, nexmark::person& p);
};
template <>
struct codec<nexmark::auction> {
  static std::string type_name() { return "nexmark.auction"; }
  static void encode(const nexmark::auction& a, byte_writer& out);
  static nexmark::auction decode(byte_reader& in);
  /// Into an existing auction, reusing its strings' memory.
  static void decode_into(byte_reader& in, nexmark::auction& a);
};
template <>
struct codec<nexmark::bid> {
  static std::string type_name() { return "nexmark.bid"; }
  static void encode(const nexmark::bid& b, byte_writer& out);
  static nexmark::bid decode(byte_reader& in);
  /// Into an existing bid, reusing its strings' memory.
  static void decode_into(byte_reader& in, nexmark::bid& b);
};

} // namespace weir
