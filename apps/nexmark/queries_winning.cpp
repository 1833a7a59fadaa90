// q4, q6, q9: an auction's winning bid, decided when event time passes its
// expiry (nexmark.md, "Winning bids"), then averaged per category (q4) or
// over a seller's last 10 closed auctions (q6), in closing order.

#include <deque>

#include "nexmark/bid_fields.hpp"
#include "nexmark/queries.hpp"
#include "nexmark/query_dataflows.hpp"

namespace weir::nexmark::detail {

namespace {

using winner = std::pair<auction, bid>;

/// Per auction id: the auction once seen, its best qualifying bid so far,
/// and bids that came before it. Such an early bid is dropped once the
/// watermark passes its time with the auction still unseen: a qualifying
/// auction opens no later than the bid, so it would have arrived.
struct auction_state {
  value_state<auction> auction_of;
  value_state<bid> best;
  list_state<bid> early;
  void fields(state_fields& f) { f("auction", auction_of)("best", best)("early", early); }
};

void offer(auction_state& s, const bid& b) {
  if (qualifies(b, s.auction_of.value()) && (!s.best.has_value() || ranks_before(b, s.best.value())))
    s.best.update(b);
}

void on_auction_event(const event& e, auction_state& s, keyed_context<int64_t>& ctx) {
  if (const auto* a = std::get_if<auction>(&e)) {
    s.auction_of.update(*a);
    for (const auto& b : s.early.get()) offer(s, b);
    s.early.clear();
    ctx.register_event_time_timer(a->expires); // closes once no bid at or before expires can come
  } else if (s.auction_of.has_value()) {
    offer(s, as_bid(e));
  } else if (as_bid(e).date_time > ctx.current_watermark()) {
    s.early.add(as_bid(e));
    ctx.register_event_time_timer(as_bid(e).date_time);
  } else if (s.early.empty()) {
    // Its auction would have opened before the watermark and closed, or never
    // comes: nothing to keep, and no empty state left behind.
    ctx.clear_state();
  }
}

void on_auction_timer(int64_t t, auction_state& s, keyed_context<int64_t>& ctx, emitter<winner>& out) {
  if (s.auction_of.has_value()) {
    if (t < s.auction_of.value().expires) return; // an early bid's timer, already handled
    if (s.best.has_value()) out.emit({s.auction_of.value(), s.best.value()});
    ctx.clear_state();
    return;
  }
  std::vector<bid> kept;
  for (const auto& b : s.early.get())
    if (b.date_time > t) kept.push_back(b);
  if (kept.empty()) ctx.clear_state();
  else s.early.update(std::move(kept));
}

/// Closed auctions with winners, each timestamped with its expiry.
stream<winner> winners(events in) {
  return in.filter([](const event& e) { return !std::holds_alternative<person>(e); }).uid("winning-filter")
    .key_by([](const event& e) {
      return std::holds_alternative<bid>(e) ? std::get<bid>(e).auction : std::get<auction>(e).id;
    })
    .process<winner, auction_state>(
      [](const event& e, auction_state& s, keyed_context<int64_t>& ctx, emitter<winner>&) {
        on_auction_event(e, s, ctx);
      },
      on_auction_timer)
    .uid("winning-bids");
}

/// A group's closed auctions not yet written, ordered by (expires, id), and
/// what it has written so far: its running sum and count, or its last 10 prices.
struct closing_state {
  map_state<std::pair<int64_t, int64_t>, int64_t> pending; // (expires, id) -> winning price
  int64_t sum = 0, count = 0;
  list_state<int64_t> last;
  void fields(state_fields& f) { f("pending", pending)("sum", sum)("count", count)("last", last); }
};

/// Writes a group's closed auctions in closing order: each winner arrives
/// stamped with its expiry, and its timer fires once every auction closing
/// at or before then has arrived. `write(s, id, price, out)` writes one.
template <class Write>
lines in_closing_order(stream<winner> closed, int64_t (*group)(const winner&), const char* uid, Write write) {
  return closed.key_by(group)
    .process<std::string, closing_state>(
      [](const winner& w, closing_state& s, keyed_context<int64_t>& ctx, emitter<std::string>&) {
        s.pending.put({w.first.expires, w.first.id}, w.second.price);
        ctx.register_event_time_timer(w.first.expires);
      },
      [write](int64_t t, closing_state& s, keyed_context<int64_t>& ctx, emitter<std::string>& out) {
        std::vector<std::pair<std::pair<int64_t, int64_t>, int64_t>> due; // in closing order
        for (const auto& entry : s.pending.entries()) {
          if (entry.first.first > t) break;
          due.push_back(entry);
        }
        for (const auto& [at, price] : due) {
          s.pending.remove(at);
          write(s, ctx.key(), at.second, price, out);
        }
      })
    .uid(uid);
}

int64_t category_of(const winner& w) { return w.first.category; }
int64_t seller_of(const winner& w) { return w.first.seller; }

} // namespace

lines q9(events in) {
  return winners(in).map([](const winner& w) { return q9_line(w.first, w.second); }).uid("q9");
}

lines q4(events in) {
  return in_closing_order(winners(in), category_of, "q4",
                          [](closing_state& s, int64_t category, int64_t id, int64_t price, emitter<std::string>& out) {
                            s.sum = checked_add(s.sum, price, "q4: a category's sum of winning prices");
                            ++s.count;
                            out.emit(join({str(category), str(id), str(s.sum / s.count)}));
                          });
}

lines q6(events in) {
  return in_closing_order(winners(in), seller_of, "q6",
                          [](closing_state& s, int64_t seller, int64_t id, int64_t price, emitter<std::string>& out) {
                            auto last = s.last.get();
                            last.push_back(price);
                            if (last.size() > 10) last.erase(last.begin());
                            int64_t sum = 0;
                            for (auto p : last) sum = checked_add(sum, p, "q6: a seller's sum of winning prices");
                            out.emit(join({str(seller), str(id), str(sum / static_cast<int64_t>(last.size()))}));
                            s.last.update(std::move(last));
                          });
}

} // namespace weir::nexmark::detail
