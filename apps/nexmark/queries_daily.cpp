// q15, q16, q17: statistics per UTC day, written when the watermark passes
// the day's end. q15 and q16 count distinct bidders and auctions per price
// rank, so they keep one rank mask per id in a keyed process function; q17
// needs no distinct counts and is a one-day tumbling window aggregate.

#include "nexmark/bid_fields.hpp"
#include "nexmark/daily_stats.hpp"
#include "nexmark/queries.hpp"
#include "nexmark/query_dataflows.hpp"

namespace weir::nexmark::detail {

namespace {

/// A group's day so far (q15: a day; q16: a channel's day).
struct daily_state {
  std::vector<int64_t> bids;               // rank_counts; empty until the first bid
  map_state<int64_t, uint8_t> bidders;     // id -> mask of its bids' ranks
  map_state<int64_t, uint8_t> auctions;
  int64_t latest = INT64_MIN;              // the group's latest bid time (q16's minute)
  void fields(state_fields& f) { f("bids", bids)("bidders", bidders)("auctions", auctions)("latest", latest); }
};

void mark(map_state<int64_t, uint8_t>& ranks_of, int64_t id, int rank) {
  const auto* mask = ranks_of.get(id);
  ranks_of.put(id, static_cast<uint8_t>((mask != nullptr ? *mask : 0) | (1 << rank)));
}

/// Adds a bid to its group, unless its day has closed already (a bid later
/// than the watermark bound allows is dropped rather than writing its day twice).
template <class K>
void add_bid(const bid& b, daily_state& s, keyed_context<K>& ctx) {
  int64_t start = day_start(b.date_time);
  int64_t last_ms = start > INT64_MAX - day_ms ? INT64_MAX : start + day_ms - 1;
  if (last_ms <= ctx.current_watermark()) {
    if (s.bids.empty()) ctx.clear_state(); // leave no empty group behind
    return;
  }
  if (s.bids.empty()) {
    s.bids.assign(4, 0);
    ctx.register_event_time_timer(last_ms);
  }
  int rank = price_rank(b.price);
  ++s.bids[0];
  ++s.bids[static_cast<size_t>(rank)];
  mark(s.bidders, b.bidder, rank);
  mark(s.auctions, b.auction, rank);
  s.latest = std::max(s.latest, b.date_time);
}

std::string counts_of(const daily_state& s) {
  return daily_counts_fields({s.bids[0], s.bids[1], s.bids[2], s.bids[3]}, distinct_by_rank(s.bidders.entries()),
                             distinct_by_rank(s.auctions.entries()));
}

struct price_aggregate {
  price_stats create_accumulator() const { return {}; }
  price_stats add(const event& e, price_stats acc) const {
    acc.add(as_bid(e).price);
    return acc;
  }
  price_stats merge(price_stats a, const price_stats& b) const {
    a.merge(b);
    return a;
  }
  price_stats get_result(const price_stats& acc) const { return acc; }
};

} // namespace

lines q15(events in) {
  return bids_only(in)
    .key_by([](const event& e) { return day_start(as_bid(e).date_time); })
    .process<std::string, daily_state>(
      [](const event& e, daily_state& s, keyed_context<int64_t>& ctx, emitter<std::string>&) {
        add_bid(as_bid(e), s, ctx);
      },
      [](int64_t, daily_state& s, keyed_context<int64_t>& ctx, emitter<std::string>& out) {
        out.emit(utc_day(ctx.key()) + "," + counts_of(s));
        ctx.clear_state();
      })
    .uid("q15");
}

lines q16(events in) {
  using channel_day = std::pair<std::string, int64_t>;
  return bids_only(in)
    .key_by([](const event& e) { return channel_day(as_bid(e).channel, day_start(as_bid(e).date_time)); })
    .process<std::string, daily_state>(
      [](const event& e, daily_state& s, keyed_context<channel_day>& ctx, emitter<std::string>&) {
        add_bid(as_bid(e), s, ctx);
      },
      [](int64_t, daily_state& s, keyed_context<channel_day>& ctx, emitter<std::string>& out) {
        out.emit(join({csv_field(ctx.key().first), utc_day(ctx.key().second), utc_minute(s.latest), counts_of(s)}));
        ctx.clear_state();
      })
    .uid("q16");
}

lines q17(events in) {
  return bids_only(in)
    .key_by([](const event& e) { return as_bid(e).auction; })
    .window(tumbling_event_time_windows::of(std::chrono::milliseconds(day_ms)))
    .aggregate(price_aggregate{}, [](const int64_t& auction, const time_window& w, const price_stats& s,
                                     emitter<std::string>& out) {
      out.emit(join({str(auction), utc_day(w.start), s.fields()}));
    })
    .uid("q17");
}

} // namespace weir::nexmark::detail
