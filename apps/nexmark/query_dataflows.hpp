#pragma once

// The queries' dataflows, for queries.cpp's registry. Private to the nexmark
// app. Each takes all events (timestamped, with watermarks) and returns its
// CSV lines (nexmark.md defines them).

#include <string>

#include "nexmark/event.hpp"
#include "nexmark/format.hpp"
#include "nexmark/side_input.hpp"
#include "weir/stream.hpp"

namespace weir::nexmark::detail {

using lines = stream<std::string>;
using events = stream<event>;

events bids_only(events in);
inline const bid& as_bid(const event& e) { return std::get<bid>(e); }

/// Counts records: an aggregate for windows.
template <class T>
struct counter {
  int64_t create_accumulator() const { return 0; }
  int64_t add(const T&, int64_t acc) const { return acc + 1; }
  int64_t merge(int64_t a, int64_t b) const { return a + b; }
  int64_t get_result(int64_t acc) const { return acc; }
};

// queries_bids.cpp: per-bid maps and filters
lines q0(events in);
lines q1(events in);
lines q2(events in);
/// Lines timestamped with their bid's dateTime, for a partitioned sink.
lines q10(events in);
lines q14(events in);
lines q21(events in);
lines q22(events in);
// queries_joins.cpp: unbounded joins on keyed state
lines q3(events in);
lines q20(events in);
/// Every bid with each side-input value of its key auction % 10000.
lines q13(events in, std::shared_ptr<const side_table> side);
// queries_windows.cpp: event-time windows
lines q5(events in);
lines q7(events in);
lines q8(events in);
lines q11(events in);
/// Processing-time windows: its lines depend on timing (nexmark.md checks
/// only per-bidder totals).
lines q12(events in);
// queries_winning.cpp: winning bids when auctions close
lines q4(events in);
lines q6(events in);
lines q9(events in);
// queries_daily.cpp: statistics per UTC day
lines q15(events in);
lines q16(events in);
lines q17(events in);
// queries_final.cpp: results when event time ends
lines q18(events in);
lines q19(events in);

} // namespace weir::nexmark::detail
