#include "nexmark/bid_fields.hpp"
#include "nexmark/queries.hpp"
#include "nexmark/query_dataflows.hpp"

namespace weir::nexmark::detail {

events bids_only(events in) {
  return in.filter([](const event& e) { return std::holds_alternative<bid>(e); }).uid("bids");
}

lines q0(events in) {
  return bids_only(in).map([](const event& e) {
    const auto& b = as_bid(e);
    return join({str(b.auction), str(b.bidder), str(b.price), str(b.date_time)});
  }).uid("q0");
}

lines q1(events in) {
  return bids_only(in).map([](const event& e) {
    const auto& b = as_bid(e);
    return join({str(b.auction), str(b.bidder), euros(b.price), str(b.date_time)});
  }).uid("q1");
}

lines q2(events in) {
  return in.filter([](const event& e) {
             return std::holds_alternative<bid>(e) && as_bid(e).auction % 123 == 0;
           }).uid("q2-filter")
    .map([](const event& e) { return join({str(as_bid(e).auction), str(as_bid(e).price)}); })
    .uid("q2");
}

// The partition of each line is its bid's minute: the record's event time.
lines q10(events in) {
  return bids_only(in).map([](const event& e) { return q10_line(as_bid(e)); }).uid("q10");
}

/// A map from bids to lines that drops a bid when `line` gives none.
template <class F>
lines bid_lines(events in, const char* uid, F line) {
  return bids_only(in)
    .flat_map([line](const event& e, emitter<std::string>& out) {
      if (auto l = line(as_bid(e))) out.emit(*l);
    })
    .uid(uid);
}

lines q14(events in) {
  return bid_lines(in, "q14", [](const bid& b) { return q14_line(b); });
}

lines q21(events in) {
  return bid_lines(in, "q21", [](const bid& b) { return q21_line(b); });
}

lines q22(events in) {
  return bids_only(in).map([](const event& e) { return q22_line(as_bid(e)); }).uid("q22");
}

} // namespace weir::nexmark::detail
