#include "nexmark/capnp_events.hpp"

#include "nexmark/format.hpp"
#include "nexmark/generator_source.hpp"
#include "nexmark/queries.hpp"

namespace weir::nexmark {

namespace {

capnp::Text::Reader text(const std::string& s) {
  return {s.data(), s.size()};
}

std::string text(capnp::Text::Reader t) {
  return {t.cStr(), t.size()};
}

void fill(schema::Person::Builder b, const person& p) {
  b.setId(p.id);
  b.setName(text(p.name));
  b.setEmailAddress(text(p.email_address));
  b.setCreditCard(text(p.credit_card));
  b.setCity(text(p.city));
  b.setState(text(p.state));
  b.setDateTime(p.date_time);
  b.setExtra(text(p.extra));
}

void fill(schema::Auction::Builder b, const auction& a) {
  b.setId(a.id);
  b.setItemName(text(a.item_name));
  b.setDescription(text(a.description));
  b.setInitialBid(a.initial_bid);
  b.setReserve(a.reserve);
  b.setDateTime(a.date_time);
  b.setExpires(a.expires);
  b.setSeller(a.seller);
  b.setCategory(a.category);
  b.setExtra(text(a.extra));
}

void fill(schema::Bid::Builder b, const bid& x) {
  b.setAuction(x.auction);
  b.setBidder(x.bidder);
  b.setPrice(x.price);
  b.setChannel(text(x.channel));
  b.setUrl(text(x.url));
  b.setDateTime(x.date_time);
  b.setExtra(text(x.extra));
}

/// Generates its share of the events as records.
class record_generator_source final : public strided_source<event_record> {
public:
  record_generator_source(std::shared_ptr<const generator> gen, uint64_t events)
    : strided_source(events), gen_(std::move(gen)) {}

  source_status poll(emitter<event_record>& out, size_t max_records) override {
    return emit_share(max_records, [&](uint64_t n) {
      out.set_timestamp(gen_->time_of(n));
      out.emit(to_record(gen_->at(n, reuse_)));
    });
  }

private:
  std::shared_ptr<const generator> gen_;
  std::array<event, 3> reuse_ = reusable_events();
};

using lines = stream<std::string>;
using records = stream<event_record>;

records bid_records(records in) {
  return in.filter([](const event_record& e) { return e->isBid(); }).uid("bids");
}

lines q0(records in) {
  return bid_records(in).map([](const event_record& e) {
    auto b = e->getBid();
    return join({str(b.getAuction()), str(b.getBidder()), str(b.getPrice()), str(b.getDateTime())});
  }).uid("q0");
}

lines q1(records in) {
  return bid_records(in).map([](const event_record& e) {
    auto b = e->getBid();
    return join({str(b.getAuction()), str(b.getBidder()), euros(b.getPrice()), str(b.getDateTime())});
  }).uid("q1");
}

lines q2(records in) {
  return in.filter([](const event_record& e) { return e->isBid() && e->getBid().getAuction() % 123 == 0; })
    .uid("q2-filter")
    .map([](const event_record& e) { return join({str(e->getBid().getAuction()), str(e->getBid().getPrice())}); })
    .uid("q2");
}

} // namespace

event_record to_record(const event& e) {
  return event_record::build([&](schema::Event::Builder b) {
    if (const auto* p = std::get_if<person>(&e)) fill(b.initPerson(), *p);
    else if (const auto* a = std::get_if<auction>(&e)) fill(b.initAuction(), *a);
    else fill(b.initBid(), std::get<bid>(e));
  });
}

event from_record(schema::Event::Reader r) {
  switch (r.which()) {
    case schema::Event::PERSON: {
      auto p = r.getPerson();
      return person{p.getId(), text(p.getName()), text(p.getEmailAddress()), text(p.getCreditCard()),
                    text(p.getCity()), text(p.getState()), p.getDateTime(), text(p.getExtra())};
    }
    case schema::Event::AUCTION: {
      auto a = r.getAuction();
      return auction{a.getId(), text(a.getItemName()), text(a.getDescription()), a.getInitialBid(), a.getReserve(),
                     a.getDateTime(), a.getExpires(), a.getSeller(), a.getCategory(), text(a.getExtra())};
    }
    case schema::Event::BID: break;
  }
  auto b = r.getBid();
  return bid{b.getAuction(), b.getBidder(), b.getPrice(), text(b.getChannel()), text(b.getUrl()), b.getDateTime(),
             text(b.getExtra())};
}

int64_t event_time(schema::Event::Reader r) {
  switch (r.which()) {
    case schema::Event::PERSON: return r.getPerson().getDateTime();
    case schema::Event::AUCTION: return r.getAuction().getDateTime();
    case schema::Event::BID: break;
  }
  return r.getBid().getDateTime();
}

stream<event_record> generated_event_records(environment& env, const generator_config& config, uint64_t count) {
  auto gen = std::make_shared<const generator>(config);
  return env.add_source<event_record>(
              [gen, count] { return std::make_unique<record_generator_source>(gen, count); }, "generator")
    .uid("generator")
    .assign_timestamps_and_watermarks(watermark_strategy<event_record>::for_monotonous_timestamps())
    .uid("event-time");
}

const std::vector<std::string>& record_query_names() {
  static const std::vector<std::string> names{"q0", "q1", "q2"};
  return names;
}

expected<stream<std::string>> apply_record_query(const std::string& name, stream<event_record> events) {
  if (name == "q0") return q0(events);
  if (name == "q1") return q1(events);
  if (name == "q2") return q2(events);
  return error{errc::bad_argument, "query '" + name + "' does not run over Cap'n Proto records (q0, q1, q2 do)"};
}

} // namespace weir::nexmark
