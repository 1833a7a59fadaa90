#include "nexmark/queries.hpp"

#include <algorithm>
#include <atomic>
#include <map>

#include "nexmark/event.hpp"
#include "nexmark/format.hpp"
#include "nexmark/generator_source.hpp"
#include "nexmark/source.hpp"
#include "weir/sinks.hpp"
#include "weir/stream.hpp"

namespace weir::nexmark {

namespace {

using std::chrono::milliseconds;
using lines = stream<std::string>;
using events = stream<event>;

std::atomic<uint64_t> bad_lines{0};

events bids_only(events in) {
  return in.filter([](const event& e) { return std::holds_alternative<bid>(e); }).uid("bids");
}

const bid& as_bid(const event& e) { return std::get<bid>(e); }

/// Counts records: an aggregate for windows.
template <class T>
struct counter {
  int64_t create_accumulator() const { return 0; }
  int64_t add(const T&, int64_t acc) const { return acc + 1; }
  int64_t merge(int64_t a, int64_t b) const { return a + b; }
  int64_t get_result(int64_t acc) const { return acc; }
};

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

const bid& bid_of_event(const event& e) { return as_bid(e); }
const bid& bid_of_windowed(const windowed_bid& w) { return std::get<2>(w); }

lines q7(events in) {
  return bids_only(in)
    .key_by([](const event& e) { return as_bid(e).auction; })
    .window(tumbling_event_time_windows::of(milliseconds(10000)))
    .process([](const int64_t&, const time_window& w, const std::vector<event>& bids,
                emitter<windowed_bid>& out) {
      for (const bid* b : highest(bids, &bid_of_event)) out.emit({w.start, w.end, *b});
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

lines q11(events in) {
  return bids_only(in)
    .key_by([](const event& e) { return as_bid(e).bidder; })
    .window(event_time_session_windows::with_gap(milliseconds(10000)))
    .aggregate(counter<event>{}, [](const int64_t& bidder, const time_window& w, const int64_t& n,
                                   emitter<std::string>& out) {
      out.emit(join({str(bidder), str(n), str(w.start), str(w.end)}));
    })
    .uid("q11");
}

using query_fn = lines (*)(events);

const std::map<std::string, query_fn>& queries() {
  static const std::map<std::string, query_fn> all{{"q0", q0}, {"q1", q1}, {"q2", q2},  {"q3", q3},
                                                   {"q5", q5}, {"q7", q7}, {"q8", q8}, {"q11", q11}};
  return all;
}

/// Parses numbered lines into events; a bad line fails the job naming file
/// and line, or is counted and skipped.
events parse(stream<numbered_line> in, const std::string& file, bool skip_bad) {
  return in.rebalance()
    .flat_map([file, skip_bad](const numbered_line& l, emitter<event>& out) {
      auto e = parse_event(l.second);
      if (e) {
        out.emit(*e);
      } else if (skip_bad) {
        bad_lines.fetch_add(1, std::memory_order_relaxed);
      } else {
        throw std::runtime_error(file + ":" + std::to_string(l.first) + ": "
                                 + e.error_value().message());
      }
    })
    .uid("parse");
}

/// Events of a JSON-lines file: one subtask reads, parsing runs at the job's
/// parallelism, event time from dateTime within `bound_ms` of disorder.
events read_file(environment& env, const std::string& input, int64_t bound_ms, bool skip_bad) {
  auto raw = env.add_source<numbered_line>(
    [input] { return std::make_unique<numbered_lines_source>(input); }, "lines");
  raw.uid("lines").parallelism(1);
  return parse(raw, input, skip_bad)
    .assign_timestamps_and_watermarks(
      watermark_strategy<event>::for_bounded_out_of_orderness(milliseconds(bound_ms))
        .with_timestamp_assigner([](const event& e) { return event_time(e); }))
    .uid("event-time");
}

error build(environment& env, const job_args& args) {
  auto get = [&](const char* k, const char* fallback) {
    auto it = args.find(k);
    return it == args.end() ? std::string(fallback) : it->second;
  };
  auto q = queries().find(get("query", ""));
  if (q == queries().end())
    return {errc::bad_argument, "unknown query '" + get("query", "") + "' (q0 q1 q2 q3 q5 q7 q8 q11)"};
  auto output = get("output", "");
  if (output.empty()) return {errc::bad_argument, "nexmark needs --output DIR"};
  env.set_parallelism(static_cast<uint32_t>(std::max(1, std::atoi(get("parallelism", "1").c_str()))));
  bool generate = args.count("events") != 0;
  auto input = get("input", "");
  if (!generate && input.empty()) return {errc::bad_argument, "nexmark needs --input FILE or --events N"};
  generator_config config;
  config.seed = std::strtoull(get("seed", "1").c_str(), nullptr, 10);
  config.rate = std::max<uint64_t>(1, std::strtoull(get("rate", "1000000").c_str(), nullptr, 10));
  int64_t bound = std::atoll(get("out-of-orderness-ms", "0").c_str());
  events evs = generate ? generated_events(env, config, std::strtoull(get("events", "0").c_str(), nullptr, 10))
                        : read_file(env, input, bound, get("skip-bad-lines", "false") == "true");
  q->second(evs).sink(file_sink(output)).uid("out");
  return {};
}

} // namespace

/// Generated events, in order per subtask: each record already carries its
/// event time, so the watermark follows it with no disorder bound.
stream<event> generated_events(environment& env, const generator_config& config, uint64_t count) {
  auto gen = std::make_shared<const generator>(config);
  return env.add_source<event>([gen, count] { return std::make_unique<generator_source>(gen, count); },
                               "generator")
    .uid("generator")
    .assign_timestamps_and_watermarks(watermark_strategy<event>::for_monotonous_timestamps())
    .uid("event-time");
}

expected<stream<std::string>> apply_query(const std::string& name, stream<event> in) {
  auto q = queries().find(name);
  if (q == queries().end()) return error{errc::bad_argument, "unknown query '" + name + "'"};
  return q->second(in);
}

const std::vector<std::string>& query_names() {
  static const std::vector<std::string> names{"q0", "q1", "q2", "q3", "q5", "q7", "q8", "q11"};
  return names;
}

void register_nexmark() {
  register_job("nexmark", build);
}

uint64_t skipped_bad_lines() {
  return bad_lines.load(std::memory_order_relaxed);
}

std::string euros(int64_t price) {
  // 0.908 * price = |price| * 908 / 1000, exact in integers with three
  // decimals. Splitting |price| = a * 1000 + b keeps every product within
  // uint64 for any int64 price: a * 908 < 8.4e18.
  uint64_t m = price < 0 ? 0 - static_cast<uint64_t>(price) : static_cast<uint64_t>(price);
  uint64_t a = m / 1000, b = m % 1000;
  uint64_t whole = a * 908 + b * 908 / 1000;
  std::string frac = std::to_string(b * 908 % 1000);
  return (price < 0 ? "-" : "") + std::to_string(whole) + "." + std::string(3 - frac.size(), '0') + frac;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

} // namespace weir::nexmark
