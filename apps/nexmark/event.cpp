#include "nexmark/event.hpp"

#include <array>
#include <tuple>
#include <utility>

#include "nexmark/json.hpp"

namespace weir::nexmark {

bool person::operator==(const person& o) const {
  return std::tie(id, name, email_address, credit_card, city, state, date_time, extra)
         == std::tie(o.id, o.name, o.email_address, o.credit_card, o.city, o.state, o.date_time,
                     o.extra);
}

bool auction::operator==(const auction& o) const {
  return std::tie(id, item_name, description, initial_bid, reserve, date_time, expires, seller,
                  category, extra)
         == std::tie(o.id, o.item_name, o.description, o.initial_bid, o.reserve, o.date_time,
                     o.expires, o.seller, o.category, o.extra);
}

bool bid::operator==(const bid& o) const {
  return std::tie(auction, bidder, price, channel, url, date_time, extra)
         == std::tie(o.auction, o.bidder, o.price, o.channel, o.url, o.date_time, o.extra);
}

int64_t event_time(const event& e) noexcept {
  return std::visit([](const auto& x) { return x.date_time; }, e);
}

namespace {

using detail::json_field;
using detail::json_kind;
using detail::quoted;

// -- collecting the fields ----------------------------------------------------

// Every field name of every type. The type is only known once "type" is read,
// which may come last, so values are kept by name and bound afterwards.
enum class key : uint8_t {
  type,
  id,
  name,
  email_address,
  credit_card,
  city,
  state,
  date_time,
  extra,
  item_name,
  description,
  initial_bid,
  reserve,
  expires,
  seller,
  category,
  auction,
  bidder,
  price,
  channel,
  url,
  count
};

constexpr std::array<std::string_view, static_cast<size_t>(key::count)> key_names = {
    "type",     "id",       "name",     "emailAddress", "creditCard", "city",    "state",
    "dateTime", "extra",    "itemName", "description",  "initialBid", "reserve", "expires",
    "seller",   "category", "auction",  "bidder",       "price",      "channel", "url"};

/// The last value seen for one known field name.
struct slot {
  bool present = false;
  json_kind kind = json_kind::null;
  int64_t integer = 0;
  size_t column = 0;
  std::string text;
};

using slots = std::array<slot, static_cast<size_t>(key::count)>;

slot* find_slot(slots& s, std::string_view name) noexcept {
  // Length and first byte rule out nearly every name before a memcmp: this
  // runs for every field of every line.
  for (size_t i = 0; i < key_names.size(); ++i) {
    const std::string_view k = key_names[i];
    if (k.size() == name.size() && k[0] == name[0] && k == name) return &s[i];
  }
  return nullptr;
}

// Unknown names are skipped; a repeated name overwrites, so the last wins.
error read_fields(std::string_view line, slots& s) {
  detail::json_object_reader reader(line);
  json_field f;
  for (;;) {
    auto more = reader.next(f);
    if (!more) return more.error_value();
    if (!*more) return {};
    slot* dst = find_slot(s, f.key);
    if (dst == nullptr) continue;
    dst->present = true;
    dst->kind = f.kind;
    dst->integer = f.integer;
    dst->column = f.column;
    dst->text.assign(f.text.data(), f.text.size());
  }
}

// -- binding them to a type ---------------------------------------------------

const char* describe(json_kind k) noexcept {
  switch (k) {
  case json_kind::string:
    return "a string";
  case json_kind::integer:
  case json_kind::big_integer:
  case json_kind::real:
    return "a number";
  case json_kind::boolean:
    return "a boolean";
  case json_kind::null:
    return "null";
  }
  return "a value";
}

error malformed(std::string message) {
  return error(errc::malformed_record, std::move(message));
}

/// Moves slot values into one struct's members, keeping the first error.
class binder {
public:
  binder(slots& s, const char* type_article) : slots_(s), type_article_(type_article) {}

  void integer(key k, int64_t& out) {
    const slot* s = require(k);
    if (s == nullptr) return;
    if (s->kind == json_kind::integer) {
      out = s->integer;
      return;
    }
    const std::string at = column(*s), field = quoted(name(k));
    if (s->kind == json_kind::big_integer)
      err_ = malformed(at + "integer out of range for " + field);
    else if (s->kind == json_kind::real)
      err_ = malformed(at + "expected an integer for " + field + ", found a fraction or exponent");
    else
      err_ = malformed(at + "expected a number for " + field + ", found " + describe(s->kind));
  }

  /// An event time: INT64_MIN is the runtime's "no timestamp" and is refused.
  void time(key k, int64_t& out) {
    integer(k, out);
    if (!err_ && out == INT64_MIN)
      err_ = malformed(column(slots_[static_cast<size_t>(k)]) + quoted(name(k)) + " "
                       + std::to_string(out) + " is not a valid time (it means \"no event time\")");
  }

  void string(key k, std::string& out) {
    if (require(k) != nullptr) optional_string(k, out);
  }

  /// Leaves `out` as it is if the field is absent.
  void optional_string(key k, std::string& out) {
    slot& s = slots_[static_cast<size_t>(k)];
    if (err_ || !s.present) return;
    if (s.kind == json_kind::string)
      out = std::move(s.text);
    else
      err_ = malformed(column(s) + "expected a string for " + quoted(name(k)) + ", found "
                       + describe(s.kind));
  }

  error& result() noexcept { return err_; }

private:
  static std::string_view name(key k) noexcept { return key_names[static_cast<size_t>(k)]; }
  static std::string column(const slot& s) { return "column " + std::to_string(s.column) + ": "; }

  const slot* require(key k) {
    const slot& s = slots_[static_cast<size_t>(k)];
    if (err_) return nullptr;
    if (!s.present) err_ = malformed("missing field " + quoted(name(k)) + " in " + type_article_);
    return s.present ? &s : nullptr;
  }

  slots& slots_;
  const char* type_article_;
  error err_;
};

expected<event> make_person(slots& s) {
  person p;
  binder b(s, "a person");
  b.integer(key::id, p.id);
  b.string(key::name, p.name);
  b.string(key::email_address, p.email_address);
  b.string(key::credit_card, p.credit_card);
  b.string(key::city, p.city);
  b.string(key::state, p.state);
  b.time(key::date_time, p.date_time);
  b.optional_string(key::extra, p.extra);
  if (b.result()) return std::move(b.result());
  return event{std::move(p)};
}

expected<event> make_auction(slots& s) {
  auction a;
  binder b(s, "an auction");
  b.integer(key::id, a.id);
  b.string(key::item_name, a.item_name);
  b.string(key::description, a.description);
  b.integer(key::initial_bid, a.initial_bid);
  b.integer(key::reserve, a.reserve);
  b.time(key::date_time, a.date_time);
  b.integer(key::expires, a.expires);
  b.integer(key::seller, a.seller);
  b.integer(key::category, a.category);
  b.optional_string(key::extra, a.extra);
  if (b.result()) return std::move(b.result());
  return event{std::move(a)};
}

expected<event> make_bid(slots& s) {
  bid x;
  binder b(s, "a bid");
  b.integer(key::auction, x.auction);
  b.integer(key::bidder, x.bidder);
  b.integer(key::price, x.price);
  b.string(key::channel, x.channel);
  b.string(key::url, x.url);
  b.time(key::date_time, x.date_time);
  b.optional_string(key::extra, x.extra);
  if (b.result()) return std::move(b.result());
  return event{std::move(x)};
}

} // namespace

expected<event> parse_event(std::string_view line) {
  slots s;
  if (auto err = read_fields(line, s)) return err;
  const slot& type = s[static_cast<size_t>(key::type)];
  if (!type.present) return malformed("missing field \"type\"");
  if (type.kind != json_kind::string)
    return malformed("column " + std::to_string(type.column)
                     + ": expected a string for \"type\", found " + describe(type.kind));
  if (type.text == "bid") return make_bid(s); // 46 of every 50 events
  if (type.text == "auction") return make_auction(s);
  if (type.text == "person") return make_person(s);
  return malformed("column " + std::to_string(type.column) + ": unknown type " + quoted(type.text)
                   + " (expected \"person\", \"auction\" or \"bid\")");
}

} // namespace weir::nexmark

namespace weir {

// Fields go in declaration order; decode reads them back in the same order,
// one statement each, because the order of evaluation of function arguments
// is unspecified.

void codec<nexmark::person>::encode(const nexmark::person& p, byte_writer& out) {
  codec<int64_t>::encode(p.id, out);
  codec<std::string>::encode(p.name, out);
  codec<std::string>::encode(p.email_address, out);
  codec<std::string>::encode(p.credit_card, out);
  codec<std::string>::encode(p.city, out);
  codec<std::string>::encode(p.state, out);
  codec<int64_t>::encode(p.date_time, out);
  codec<std::string>::encode(p.extra, out);
}

nexmark::person codec<nexmark::person>::decode(byte_reader& in) {
  nexmark::person p;
  decode_into(in, p);
  return p;
}

void codec<nexmark::person>::decode_into(byte_reader& in, nexmark::person& p) {
  p.id = codec<int64_t>::decode(in);
  weir::decode_into(in, p.name);
  weir::decode_into(in, p.email_address);
  weir::decode_into(in, p.credit_card);
  weir::decode_into(in, p.city);
  weir::decode_into(in, p.state);
  p.date_time = codec<int64_t>::decode(in);
  weir::decode_into(in, p.extra);
}

void codec<nexmark::auction>::encode(const nexmark::auction& a, byte_writer& out) {
  codec<int64_t>::encode(a.id, out);
  codec<std::string>::encode(a.item_name, out);
  codec<std::string>::encode(a.description, out);
  codec<int64_t>::encode(a.initial_bid, out);
  codec<int64_t>::encode(a.reserve, out);
  codec<int64_t>::encode(a.date_time, out);
  codec<int64_t>::encode(a.expires, out);
  codec<int64_t>::encode(a.seller, out);
  codec<int64_t>::encode(a.category, out);
  codec<std::string>::encode(a.extra, out);
}

nexmark::auction codec<nexmark::auction>::decode(byte_reader& in) {
  nexmark::auction a;
  decode_into(in, a);
  return a;
}

void codec<nexmark::auction>::decode_into(byte_reader& in, nexmark::auction& a) {
  a.id = codec<int64_t>::decode(in);
  weir::decode_into(in, a.item_name);
  weir::decode_into(in, a.description);
  a.initial_bid = codec<int64_t>::decode(in);
  a.reserve = codec<int64_t>::decode(in);
  a.date_time = codec<int64_t>::decode(in);
  a.expires = codec<int64_t>::decode(in);
  a.seller = codec<int64_t>::decode(in);
  a.category = codec<int64_t>::decode(in);
  weir::decode_into(in, a.extra);
}

void codec<nexmark::bid>::encode(const nexmark::bid& b, byte_writer& out) {
  codec<int64_t>::encode(b.auction, out);
  codec<int64_t>::encode(b.bidder, out);
  codec<int64_t>::encode(b.price, out);
  codec<std::string>::encode(b.channel, out);
  codec<std::string>::encode(b.url, out);
  codec<int64_t>::encode(b.date_time, out);
  codec<std::string>::encode(b.extra, out);
}

nexmark::bid codec<nexmark::bid>::decode(byte_reader& in) {
  nexmark::bid b;
  decode_into(in, b);
  return b;
}

void codec<nexmark::bid>::decode_into(byte_reader& in, nexmark::bid& b) {
  b.auction = codec<int64_t>::decode(in);
  b.bidder = codec<int64_t>::decode(in);
  b.price = codec<int64_t>::decode(in);
  weir::decode_into(in, b.channel);
  weir::decode_into(in, b.url);
  b.date_time = codec<int64_t>::decode(in);
  weir::decode_into(in, b.extra);
}

} // namespace weir
