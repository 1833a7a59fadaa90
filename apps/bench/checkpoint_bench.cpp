#include "bench/checkpoint_bench.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <memory>

#include "weir/checkpoints.hpp"
#include "weir/sinks.hpp"
#include "weir/stream.hpp"

namespace weir::apps::bench {

namespace {

using kv = std::pair<int64_t, int64_t>;

constexpr uint64_t mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

struct counting_sink {
  std::shared_ptr<std::atomic<uint64_t>> seen;
  void operator()(const kv&) const { seen->fetch_add(1, std::memory_order_relaxed); }
};

void build_keyed(environment& env, const checkpoint_config& c, const counting_sink& sink) {
  auto keys = c.keys;
  env.generate(c.records, [keys](uint64_t i) { return kv{static_cast<int64_t>(mix(i) % keys), 1}; })
    .uid("records")
    .key_by([](const kv& r) { return r.first; })
    .reduce([](const kv& a, const kv& b) { return kv{a.first, a.second + b.second}; })
    .uid("count")
    .sink(function_sink<kv>(sink))
    .uid("out");
}

struct count_bids {
  int64_t create_accumulator() const { return 0; }
  int64_t add(const kv&, int64_t acc) const { return acc + 1; }
  int64_t merge(int64_t a, int64_t b) const { return a + b; }
  int64_t get_result(int64_t acc) const { return acc; }
};

// Bids (auction, event time): ten per millisecond of event time, so a 10 s
// window holds 100,000 bids over up to `keys` auctions.
void build_windowed(environment& env, const checkpoint_config& c, const counting_sink& sink) {
  auto keys = c.keys;
  env.generate(c.records, [keys](uint64_t i) { return kv{static_cast<int64_t>(mix(i) % keys), static_cast<int64_t>(i / 10)}; })
    .uid("bids")
    .assign_timestamps_and_watermarks(
      watermark_strategy<kv>::for_bounded_out_of_orderness(std::chrono::milliseconds(100))
        .with_timestamp_assigner([](const kv& b) { return b.second; }))
    .uid("event-time")
    .key_by([](const kv& b) { return b.first; })
    .window(tumbling_event_time_windows::of(std::chrono::seconds(10)))
    .aggregate(count_bids{}, [](const int64_t& auction, const time_window&, const int64_t& n, emitter<kv>& out) {
      out.emit({auction, n});
    })
    .uid("bids-per-auction")
    .sink(function_sink<kv>(sink))
    .uid("out");
}

void summarize(const std::vector<checkpoint_info>& all, checkpoint_run& run) {
  for (const auto& c : all) {
    if (!c.completed || c.final) continue;
    ++run.checkpoints;
    run.mean_ms += static_cast<double>(c.duration_ms);
    run.max_ms = std::max(run.max_ms, static_cast<double>(c.duration_ms));
    run.mean_alignment_ms += c.alignment_us / 1000.0;
    run.max_alignment_ms = std::max(run.max_alignment_ms, c.alignment_us / 1000.0);
    run.mean_bytes += static_cast<double>(c.bytes);
  }
  if (run.checkpoints == 0) return;
  run.mean_ms /= static_cast<double>(run.checkpoints);
  run.mean_alignment_ms /= static_cast<double>(run.checkpoints);
  run.mean_bytes /= static_cast<double>(run.checkpoints);
}

} // namespace

expected<checkpoint_run> run_checkpoint_bench(const checkpoint_config& c) {
  char templ[] = "/tmp/weir-bench-XXXXXX";
  if (::mkdtemp(templ) == nullptr) return error{errc::io, "cannot make a temporary state dir"};
  std::string dir = templ;
  counting_sink sink{std::make_shared<std::atomic<uint64_t>>(0)};
  environment env;
  env.set_parallelism(c.parallelism);
  env.options().checkpoints.interval_ms = c.interval_ms;
  env.options().checkpoints.state_dir = dir + "/state";
  if (c.windowed)
    build_windowed(env, c, sink);
  else
    build_keyed(env, c, sink);
  auto result = env.execute(c.windowed ? "bench-windowed" : "bench-keyed");
  checkpoint_run run;
  if (result.ok() && c.interval_ms > 0) {
    auto listed = list_checkpoints(dir + "/state");
    if (!listed) result.failure = listed.error_value();
    else summarize(listed->second, run);
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  if (!result.ok()) return result.failure;
  run.seconds = result.seconds;
  run.sink_records = sink.seen->load();
  return run;
}

} // namespace weir::apps::bench
