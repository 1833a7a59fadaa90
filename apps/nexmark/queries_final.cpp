// Queries written once, when event time ends: q18 (the last bid of every
// bidder on every auction) and q19 (the 10 first bids of every auction in bid
// order). Both keep per key only what can still be written (one bid, ten
// bids) and register a timer at the final watermark.

#include <algorithm>

#include "nexmark/bid_fields.hpp"
#include "nexmark/query_dataflows.hpp"

namespace weir::nexmark::detail {

namespace {

struct last_bid {
  value_state<bid> last;
  void fields(state_fields& f) { f("last", last); }
};

struct top_bids {
  list_state<bid> top; // at most 10, in bid order
  void fields(state_fields& f) { f("top", top); }
};

constexpr size_t top_n = 10;

} // namespace

lines q18(events in) {
  return bids_only(in)
    .key_by([](const event& e) { return std::make_pair(as_bid(e).bidder, as_bid(e).auction); })
    .process<std::string, last_bid>(
      [](const event& e, last_bid& s, keyed_context<std::pair<int64_t, int64_t>>& ctx, emitter<std::string>&) {
        const auto& b = as_bid(e);
        if (!s.last.has_value()) ctx.register_event_time_timer(max_watermark);
        if (!s.last.has_value() || later_than(b, s.last.value())) s.last.update(b);
      },
      [](int64_t, last_bid& s, keyed_context<std::pair<int64_t, int64_t>>& ctx, emitter<std::string>& out) {
        out.emit(q18_line(s.last.value()));
        ctx.clear_state();
      })
    .uid("q18");
}

lines q19(events in) {
  return bids_only(in)
    .key_by([](const event& e) { return as_bid(e).auction; })
    .process<std::string, top_bids>(
      [](const event& e, top_bids& s, keyed_context<int64_t>& ctx, emitter<std::string>&) {
        const auto& b = as_bid(e);
        if (s.top.empty()) ctx.register_event_time_timer(max_watermark);
        if (s.top.get().size() == top_n && !ranks_before(b, s.top.get().back())) return; // no copy
        auto top = s.top.get();
        keep_top(top, b, top_n);
        s.top.update(std::move(top));
      },
      [](int64_t, top_bids& s, keyed_context<int64_t>& ctx, emitter<std::string>& out) {
        int64_t rank = 0;
        for (const auto& b : s.top.get()) out.emit(q19_line(b, ++rank));
        ctx.clear_state();
      })
    .uid("q19");
}

} // namespace weir::nexmark::detail
