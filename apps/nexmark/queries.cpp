#include "nexmark/queries.hpp"

#include <algorithm>
#include <atomic>
#include <map>

#include "nexmark/event.hpp"
#include "nexmark/format.hpp"
#include "nexmark/generator_source.hpp"
#include "nexmark/query_dataflows.hpp"
#include "nexmark/source.hpp"
#include "weir/sinks.hpp"
#include "weir/stream.hpp"

namespace weir::nexmark {

namespace {

using std::chrono::milliseconds;

std::atomic<uint64_t> bad_lines{0};

using namespace detail;

using query_fn = lines (*)(events);

const std::map<std::string, query_fn>& queries() {
  static const std::map<std::string, query_fn> all{{"q0", q0}, {"q1", q1}, {"q2", q2},  {"q3", q3}, {"q4", q4},
                                                   {"q5", q5}, {"q6", q6}, {"q7", q7}, {"q8", q8}, {"q9", q9}, {"q10", q10}, {"q11", q11}, {"q12", q12}, {"q13", nullptr},
                                                   {"q14", q14}, {"q15", q15}, {"q16", q16}, {"q17", q17}, {"q18", q18}, {"q19", q19}, {"q20", q20}, {"q21", q21}, {"q22", q22}};
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

std::string name_list() {
  std::string out;
  for (const auto& n : query_names()) out += (out.empty() ? "" : " ") + n;
  return out;
}

error build(environment& env, const job_args& args) {
  auto get = [&](const char* k, const char* fallback) {
    auto it = args.find(k);
    return it == args.end() ? std::string(fallback) : it->second;
  };
  if (!args.count("query")) // `weir run nexmark` gives only --parallelism
    return {errc::bad_argument, "the nexmark job takes its options from `weir nexmark --query Q ...` "
                                "(weir nexmark --help)"};
  auto q = queries().find(get("query", ""));
  if (q == queries().end())
    return {errc::bad_argument, "unknown query '" + get("query", "") + "' (" + name_list() + ")"};
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
  query_inputs inputs;
  if (args.count("side-input") != 0) {
    auto side = read_side_input(get("side-input", ""));
    if (!side) return side.error_value();
    inputs.side = *side;
  }
  auto results = apply_query(q->first, evs, inputs);
  if (!results) return results.error_value();
  if (writes_partitions(q->first))
    results->sink(partitioned_file_sink(output, hive_minutes())).uid("out");
  else
    results->sink(file_sink(output)).uid("out");
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

expected<stream<std::string>> apply_query(const std::string& name, stream<event> in, const query_inputs& inputs) {
  auto q = queries().find(name);
  if (q == queries().end()) return error{errc::bad_argument, "unknown query '" + name + "'"};
  if (name == "q13") {
    if (!inputs.side) return error{errc::bad_argument, "q13 needs a side input (--side-input FILE)"};
    return q13(in, inputs.side);
  }
  return q->second(in);
}

bool writes_partitions(const std::string& query) {
  return query == "q10";
}

const std::vector<std::string>& query_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& [name, fn] : queries()) out.push_back(name);
    std::sort(out.begin(), out.end(), [](const std::string& a, const std::string& b) {
      return std::stoi(a.substr(1)) < std::stoi(b.substr(1));
    });
    return out;
  }();
  return names;
}

void register_nexmark() {
  job_info info;
  info.summary = "a Nexmark query: run it with `weir nexmark`, which takes its options";
  register_job("nexmark", build, std::move(info));
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
