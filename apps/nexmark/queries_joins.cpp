#include "nexmark/bid_fields.hpp"
#include "nexmark/queries.hpp"
#include "nexmark/query_dataflows.hpp"

namespace weir::nexmark::detail {

namespace {

/// q3: sellers (persons in OR, ID or CA) joined with their category-10 auctions,
/// an unbounded join on keyed state: whichever side arrives first waits.
struct q3_state {
  value_state<person> seller;
  bool not_local = false;        // the seller is known and outside OR/ID/CA
  list_state<int64_t> pending;   // auctions seen before their seller
  void fields(state_fields& f) { f("seller", seller)("not_local", not_local)("pending", pending); }
};

bool local_state(const std::string& s) { return s == "OR" || s == "ID" || s == "CA"; }

std::string q3_line(const person& p, int64_t auction) {
  return join({csv_field(p.name), csv_field(p.city), csv_field(p.state), str(auction)});
}

} // namespace

lines q3(events in) {
  return in.filter([](const event& e) {
             return std::holds_alternative<person>(e)
                    || (std::holds_alternative<auction>(e) && std::get<auction>(e).category == 10);
           }).uid("q3-filter")
    .key_by([](const event& e) {
      return std::holds_alternative<person>(e) ? std::get<person>(e).id : std::get<auction>(e).seller;
    })
    .process<std::string, q3_state>([](const event& e, q3_state& s, keyed_context<int64_t>&,
                                       emitter<std::string>& out) {
      if (const auto* p = std::get_if<person>(&e)) {
        if (!local_state(p->state)) {
          s.not_local = true;
          s.pending.clear();
          return;
        }
        s.seller.update(*p);
        for (auto id : s.pending.get()) out.emit(q3_line(*p, id));
        s.pending.clear();
      } else if (s.seller.has_value()) {
        out.emit(q3_line(s.seller.value(), std::get<auction>(e).id));
      } else if (!s.not_local) {
        s.pending.add(std::get<auction>(e).id);
      }
    })
    .uid("q3");
}

namespace {

/// q20: per auction id, its auction once seen (or that it is not in
/// category 10), and its bids that came before it.
struct q20_state {
  value_state<auction> auction_of;
  bool other_category = false;
  list_state<bid> pending;
  void fields(state_fields& f) { f("auction", auction_of)("other_category", other_category)("pending", pending); }
};

} // namespace

lines q13(events in, std::shared_ptr<const side_table> side) {
  return bids_only(in)
    .flat_map([side](const event& e, emitter<std::string>& out) {
      const auto& b = as_bid(e);
      auto it = side->find(b.auction % 10000);
      if (it == side->end()) return;
      for (const auto& value : it->second)
        out.emit(join({str(b.auction), str(b.bidder), str(b.price), str(b.date_time), csv_field(value)}));
    })
    .uid("q13");
}

lines q20(events in) {
  return in.filter([](const event& e) { return !std::holds_alternative<person>(e); }).uid("q20-filter")
    .key_by([](const event& e) {
      return std::holds_alternative<bid>(e) ? std::get<bid>(e).auction : std::get<auction>(e).id;
    })
    .process<std::string, q20_state>([](const event& e, q20_state& s, keyed_context<int64_t>&,
                                        emitter<std::string>& out) {
      if (const auto* a = std::get_if<auction>(&e)) {
        if (a->category != 10) {
          s.other_category = true;
          s.pending.clear();
          return;
        }
        s.auction_of.update(*a);
        for (const auto& b : s.pending.get()) out.emit(q20_line(b, *a));
        s.pending.clear();
      } else if (s.auction_of.has_value()) {
        out.emit(q20_line(as_bid(e), s.auction_of.value()));
      } else if (!s.other_category) {
        s.pending.add(as_bid(e));
      }
    })
    .uid("q20");
}

} // namespace weir::nexmark::detail
