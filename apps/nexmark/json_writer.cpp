// Writes events as the JSON lines parse_event reads.

#include <cstdio>

#include "nexmark/event.hpp"

namespace weir::nexmark {

namespace {

class json_line {
public:
  json_line& text(const char* key, const std::string& v) {
    start(key);
    out_ += '"';
    for (unsigned char c : v) escape(c);
    out_ += '"';
    return *this;
  }
  json_line& number(const char* key, int64_t v) {
    start(key);
    out_ += std::to_string(v);
    return *this;
  }
  std::string done() { return std::move(out_) + "}"; }

private:
  void start(const char* key) {
    out_ += out_.size() == 1 ? "\"" : ",\"";
    out_ += key;
    out_ += "\":";
  }
  void escape(unsigned char c) {
    if (c == '"' || c == '\\') {
      out_ += '\\';
      out_ += static_cast<char>(c);
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out_ += buf;
    } else {
      out_ += static_cast<char>(c); // UTF-8 bytes pass through, as the reader takes them
    }
  }
  std::string out_ = "{";
};

std::string write(const person& p) {
  return json_line{}.text("type", "person").number("id", p.id).text("name", p.name)
    .text("emailAddress", p.email_address).text("creditCard", p.credit_card).text("city", p.city)
    .text("state", p.state).number("dateTime", p.date_time).text("extra", p.extra).done();
}

std::string write(const auction& a) {
  return json_line{}.text("type", "auction").number("id", a.id).text("itemName", a.item_name)
    .text("description", a.description).number("initialBid", a.initial_bid).number("reserve", a.reserve)
    .number("dateTime", a.date_time).number("expires", a.expires).number("seller", a.seller)
    .number("category", a.category).text("extra", a.extra).done();
}

std::string write(const bid& b) {
  return json_line{}.text("type", "bid").number("auction", b.auction).number("bidder", b.bidder)
    .number("price", b.price).text("channel", b.channel).text("url", b.url).number("dateTime", b.date_time)
    .text("extra", b.extra).done();
}

} // namespace

std::string to_json(const event& e) {
  return std::visit([](const auto& x) { return write(x); }, e);
}

} // namespace weir::nexmark
