#include <algorithm>

#include "nexmark/queries.hpp"
#include "nexmark/query_dataflows.hpp"

namespace weir::nexmark::detail {

using std::chrono::milliseconds;

using auction_count = std::tuple<int64_t, int64_t, int64_t, int64_t>; // start, end, auction, bids

lines q5(events in) {
  return bids_only(in)
    .key_by([](const event& e) { return as_bid(e).auction; })
    .window(sliding_event_time_windows::of(milliseconds(10000), milliseconds(2000)))
    .aggregate(counter<event>{}, [](const int64_t& auction, const time_window& w, const int64_t& n,
                                   emitter<auction_count>& out) { out.emit({w.start, w.end, auction, n}); })
    .uid("q5-count")
    // Each result's timestamp is its window's last ms: a 2 s tumbling window
    // keyed by window end holds exactly one sliding window's counts.
    .key_by([](const auction_count& c) { return std::get<1>(c); })
    .window(tumbling_event_time_windows::of(milliseconds(2000)))
    .process([](const int64_t&, const time_window&, const std::vector<auction_count>& counts,
                emitter<std::string>& out) {
      int64_t most = 0;
      for (const auto& c : counts) most = std::max(most, std::get<3>(c));
      for (const auto& c : counts)
        if (std::get<3>(c) == most)
          out.emit(join({str(std::get<0>(c)), str(std::get<1>(c)), str(std::get<2>(c)), str(most)}));
    })
    .uid("q5");
}

using windowed_bid = std::tuple<int64_t, int64_t, bid>; // window start, end, bid

/// The bids with the highest price among `bids` (all ties).
template <class Get>
std::vector<const bid*> highest(const std::vector<Get>& items, const bid& (*of)(const Get&)) {
  int64_t top = INT64_MIN;
  for (const auto& x : items) top = std::max(top, of(x).price);
  std::vector<const bid*> out;
  for (const auto& x : items)
    if (of(x).price == top) out.push_back(&of(x));
  return out;
}

const bid& bid_of_windowed(const windowed_bid& w) { return std::get<2>(w); }

/// The bids at the highest price (all ties), kept as records arrive, so a
/// window holds its few leaders instead of all its bids.
struct highest_bids {
  std::vector<bid> create_accumulator() const { return {}; }
  std::vector<bid> add(const event& e, std::vector<bid> top) const {
    const auto& b = as_bid(e);
    if (!top.empty() && b.price < top.front().price) return top;
    if (!top.empty() && b.price > top.front().price) top.clear();
    top.push_back(b);
    return top;
  }
  std::vector<bid> merge(std::vector<bid> a, std::vector<bid> b) const {
    if (a.empty() || (!b.empty() && b.front().price > a.front().price)) return b;
    if (!b.empty() && b.front().price == a.front().price) a.insert(a.end(), b.begin(), b.end());
    return a;
  }
  std::vector<bid> get_result(const std::vector<bid>& top) const { return top; }
};

lines q7(events in) {
  return bids_only(in)
    .key_by([](const event& e) { return as_bid(e).auction; })
    .window(tumbling_event_time_windows::of(milliseconds(10000)))
    .aggregate(highest_bids{}, [](const int64_t&, const time_window& w, const std::vector<bid>& top,
                                  emitter<windowed_bid>& out) {
      for (const auto& b : top) out.emit({w.start, w.end, b});
    })
    .uid("q7-per-auction")
    .key_by([](const windowed_bid& w) { return std::get<1>(w); })
    .window(tumbling_event_time_windows::of(milliseconds(10000)))
    .process([](const int64_t&, const time_window&, const std::vector<windowed_bid>& bids,
                emitter<std::string>& out) {
      for (const bid* b : highest(bids, &bid_of_windowed))
        out.emit(join({str(std::get<0>(bids.front())), str(std::get<1>(bids.front())), str(b->auction),
                       str(b->price), str(b->bidder), str(b->date_time)}));
    })
    .uid("q7");
}

lines q8(events in) {
  return in.filter([](const event& e) { return !std::holds_alternative<bid>(e); }).uid("q8-filter")
    .key_by([](const event& e) {
      return std::holds_alternative<person>(e) ? std::get<person>(e).id : std::get<auction>(e).seller;
    })
    .window(tumbling_event_time_windows::of(milliseconds(10000)))
    .process([](const int64_t&, const time_window& w, const std::vector<event>& es,
                emitter<std::string>& out) {
      bool opened = std::any_of(es.begin(), es.end(),
                                [](const event& e) { return std::holds_alternative<auction>(e); });
      if (!opened) return;
      for (const auto& e : es)
        if (const auto* p = std::get_if<person>(&e))
          out.emit(join({str(w.start), str(p->id), csv_field(p->name)}));
    })
    .uid("q8");
}

namespace {

/// Bids per bidder in the windows of `assigner`: "bidder,count,start,end".
lines bids_per_bidder(events in, window_assigner assigner, const char* uid) {
  return bids_only(in)
    .key_by([](const event& e) { return as_bid(e).bidder; })
    .window(assigner)
    .aggregate(counter<event>{}, [](const int64_t& bidder, const time_window& w, const int64_t& n,
                                   emitter<std::string>& out) {
      out.emit(join({str(bidder), str(n), str(w.start), str(w.end)}));
    })
    .uid(uid);
}

} // namespace

lines q11(events in) {
  return bids_per_bidder(in, event_time_session_windows::with_gap(milliseconds(10000)), "q11");
}

lines q12(events in) {
  return bids_per_bidder(in, tumbling_processing_time_windows::of(milliseconds(10000)), "q12");
}

} // namespace weir::nexmark::detail
