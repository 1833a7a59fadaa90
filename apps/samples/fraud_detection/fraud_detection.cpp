#include "fraud_detection.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <vector>

#include "weir/job_registry.hpp"
#include "weir/sinks.hpp"
#include "weir/state.hpp"
#include "weir/stream.hpp"

namespace fraud {

namespace {

uint64_t mix(uint64_t x) { // splitmix64's finalizer: a well-spread hash of i
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

/// Per account: its transactions not yet taken (by event time) and the
/// latest small one, if it is under a minute old.
struct account_state {
  weir::map_state<int64_t, std::vector<transaction>> pending;
  weir::value_state<transaction> small;
  void fields(weir::state_fields& f) { f("pending", pending)("small", small); }
};

using context = weir::keyed_context<int64_t>;

/// Buffers the transaction until the watermark passes its time.
void on_transaction(const transaction& t, account_state& s, context& ctx, weir::emitter<std::string>&) {
  auto* at = s.pending.get(t.time_ms);
  std::vector<transaction> same = at ? *at : std::vector<transaction>{};
  same.push_back(t);
  s.pending.put(t.time_ms, std::move(same));
  ctx.register_event_time_timer(t.time_ms);
}

/// At `time`: a small transaction a minute old is forgotten, then the
/// transactions of `time` are taken in order (Flink's walkthrough logic).
void on_timer(int64_t time, account_state& s, context& ctx, weir::emitter<std::string>& out) {
  if (s.small.has_value() && s.small.value().time_ms + window_ms <= time) s.small.clear();
  if (const auto* at = s.pending.get(time)) {
    auto due = *at;
    std::sort(due.begin(), due.end(), [](const auto& a, const auto& b) { return a.cents < b.cents; });
    for (const auto& t : due) {
      if (s.small.has_value()) {
        if (t.cents > large_above_cents) out.emit(alert_line(s.small.value(), t));
        s.small.clear();
      }
      if (t.cents < small_below_cents) {
        s.small.update(t);
        ctx.register_event_time_timer(t.time_ms + window_ms); // clears it
      }
    }
    s.pending.remove(time);
  }
  if (s.pending.empty() && !s.small.has_value()) ctx.clear_state();
}

/// Option `name` as a number in [1, max], or an error naming it.
weir::expected<int64_t> number(const weir::job_args& args, const std::string& name, int64_t max) {
  auto it = args.find(name);
  const std::string text = it == args.end() ? "" : it->second;
  char* end = nullptr;
  long long n = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || n < 1 || n > max)
    return weir::error{weir::errc::bad_argument, "--" + name + " must be a number from 1 to "
                                                     + std::to_string(max) + ", got '" + text + "'"};
  return static_cast<int64_t>(n);
}

weir::error build(weir::environment& env, const weir::job_args& args) {
  auto count = number(args, "transactions", 1000000000);
  auto accounts = number(args, "accounts", 1000000000);
  auto parallelism = number(args, "parallelism", 128);
  for (auto* n : {&count, &accounts, &parallelism})
    if (!*n) return n->error_value();
  auto output = args.find("output");
  if (output == args.end() || output->second.empty())
    return weir::error{weir::errc::bad_argument, "fraud-detection needs --output DIR"};
  env.set_parallelism(static_cast<uint32_t>(*parallelism));
  int64_t a = *accounts;
  auto transactions =
      env.generate(static_cast<uint64_t>(*count), [a](uint64_t i) { return generated(i, a); })
          .uid("transactions");
  detect(transactions).sink(weir::file_sink(output->second)).uid("alerts");
  return {};
}

/// Prints how many alerts the run committed and the first few. With nodes
/// the sink may have written the output on another machine: said, not an
/// error.
bool report(const weir::job_args& args, const weir::job_result&, bool on_nodes) {
  namespace fs = std::filesystem;
  const auto& dir = args.at("output"); // weir run passes every declared option
  std::error_code ec;
  if (on_nodes && !fs::exists(dir, ec)) {
    std::printf("the alerts are in %s on the node(s) that ran the sink\n", dir.c_str());
    return true;
  }
  std::vector<std::string> first; // the 5 smallest lines, not all of them
  size_t alerts = 0;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().filename().string().rfind("part-", 0) != 0) continue;
    std::ifstream in(it->path());
    for (std::string line; std::getline(in, line); ++alerts) {
      first.insert(std::upper_bound(first.begin(), first.end(), line), line);
      if (first.size() > 5) first.pop_back();
    }
  }
  if (ec) {
    std::fprintf(stderr, "fraud-detection: cannot read %s: %s\n", dir.c_str(), ec.message().c_str());
    return false;
  }
  std::printf("%zu alerts in %s%s\n", alerts, dir.c_str(), alerts == 0 ? "" : ", the first:");
  for (const auto& line : first)
    std::printf("  %s\n", line.c_str());
  return true;
}

} // namespace

weir::stream<std::string> detect(weir::stream<transaction> transactions) {
  // Each source subtask's transactions are in time order, so a second of
  // bound leaves none behind the watermark (which is the lowest subtask's).
  return transactions
      .assign_timestamps_and_watermarks(
          weir::watermark_strategy<transaction>::for_bounded_out_of_orderness(std::chrono::seconds(1))
              .with_timestamp_assigner([](const transaction& t) { return t.time_ms; }))
      .uid("event-time")
      .key_by([](const transaction& t) { return t.account; })
      .process<std::string, account_state>(on_transaction, on_timer)
      .uid("detector");
}

transaction generated(uint64_t i, int64_t accounts) {
  transaction t;
  t.account = static_cast<int64_t>(mix(i) % static_cast<uint64_t>(accounts));
  t.time_ms = static_cast<int64_t>(i) * 50;
  uint64_t r = mix(i ^ 0x5bd1e995ULL);
  uint64_t kind = r % 1000;
  if (kind < 30)
    t.cents = 1 + static_cast<int64_t>((r >> 10) % 99); // 0.01 - 0.99
  else if (kind >= 990)
    t.cents = large_above_cents + 1 + static_cast<int64_t>((r >> 10) % 50000); // 500.01 - 1000.00
  else
    t.cents = 1000 + static_cast<int64_t>((r >> 10) % 30000); // 10.00 - 309.99
  return t;
}

std::string alert_line(const transaction& small, const transaction& large) {
  auto money = [](int64_t cents) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%lld.%02lld", static_cast<long long>(cents / 100),
                  static_cast<long long>(cents % 100));
    return std::string(buf);
  };
  return "account=" + std::to_string(small.account) + " small=" + money(small.cents) + "@"
         + std::to_string(small.time_ms) + " large=" + money(large.cents) + "@"
         + std::to_string(large.time_ms);
}

void register_fraud_detection() {
  weir::job_info info;
  info.summary = "Flink's fraud-detection walkthrough on generated transactions: per account, "
                 "one under 1.00 followed within a minute (event time) by one over 500.00 "
                 "raises an alert; alert lines go to part files, exactly once";
  info.options = {{"transactions", "200000", "how many transactions (one per 50 ms of event time)"},
                  {"accounts", "1000", "how many accounts they are spread over"},
                  {"output", "out/fraud-detection", "where the alert part files go", false, true}};
  info.output_dirs = {"output"};
  info.report = report;
  weir::register_job("fraud-detection", build, std::move(info));
}

} // namespace fraud
