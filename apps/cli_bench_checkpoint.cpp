// weir bench checkpoint: what checkpoints cost a job, measured against the
// same job without them in the same process, runs interleaved.

#include <algorithm>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "bench/checkpoint_bench.hpp"
#include "bench/stats.hpp"
#include "cli_args.hpp"
#include "commands.hpp"

namespace weir::apps {

namespace {

using bench::median;

using bench::checkpoint_config;
using bench::checkpoint_run;

const char* usage = R"(usage: weir bench checkpoint [options]

Runs two jobs with checkpoints every --interval ms (into a LevelDB in a
temporary state dir) and without, interleaved (none, with, none, with, ...),
and prints a markdown table: throughput of each and their ratio (the median
over the repeats), how many checkpoints completed, how long they took (mean
and longest, trigger to manifest synced), the longest alignment, and the
state each held. The final checkpoint at a job's end is not counted.

workloads:
  keyed     a running count per key over K distinct keys (generator ->
            key_by -> reduce -> sink), parallelism 2
  windowed  bids counted per auction in 10 s tumbling event-time windows
            (generator -> timestamps -> key_by -> window -> sink), K auctions

options:
  --keys LIST      state sizes for the keyed workload (default 100000,1000000,4000000)
  --window-keys N  auctions for the windowed workload (default 1000000)
  --seconds S      target length of each run (default 8; records are sized
                   from a calibration run without checkpoints)
  --repeat K       runs per row and mode (default 3)
  --interval MS    checkpoint interval (default 1000)
  --quick          keys 100000,1000000, 4 s runs, 1 repeat
  -h, --help       show this help
)";

int usage_error(const std::string& message) {
  std::fprintf(stderr, "weir bench checkpoint: %s (try weir bench checkpoint --help)\n", message.c_str());
  return 2;
}

struct row {
  std::vector<double> none_rps, ckpt_rps;
  checkpoint_run last; // the figures of the median-ish run with checkpoints
  std::vector<checkpoint_run> ckpt;
};

/// Records for a run of about `seconds`, from runs without checkpoints. A
/// short first run underestimates the rate (state still growing, caches
/// cold), so the size is measured again until a run lasts a quarter of the
/// target.
expected<uint64_t> calibrate(checkpoint_config c, double seconds) {
  c.interval_ms = 0;
  c.records = std::max<uint64_t>(2 * c.keys, 2000000);
  for (int round = 0; round < 3; ++round) {
    auto run = bench::run_checkpoint_bench(c);
    if (!run) return run.error_value();
    auto sized = static_cast<uint64_t>(static_cast<double>(c.records) / run->seconds * seconds);
    if (run->seconds >= seconds / 4) return sized;
    c.records = sized / 2;
  }
  return c.records * 2;
}

expected<row> measure(checkpoint_config c, uint64_t repeat, uint64_t interval) {
  row r;
  for (uint64_t k = 0; k < repeat; ++k) {
    for (uint64_t with : {uint64_t{0}, interval}) {
      c.interval_ms = with;
      auto run = bench::run_checkpoint_bench(c);
      if (!run) return run.error_value();
      (with == 0 ? r.none_rps : r.ckpt_rps).push_back(static_cast<double>(c.records) / run->seconds);
      if (with > 0) r.ckpt.push_back(*run);
    }
  }
  return r;
}

void print_row(const checkpoint_config& c, const row& r) {
  double none = median(r.none_rps), with = median(r.ckpt_rps);
  checkpoint_run agg;
  for (const auto& run : r.ckpt) {
    agg.checkpoints += run.checkpoints;
    agg.mean_ms += run.mean_ms * run.checkpoints;
    agg.max_ms = std::max(agg.max_ms, run.max_ms);
    agg.max_alignment_ms = std::max(agg.max_alignment_ms, run.max_alignment_ms);
    agg.mean_bytes += run.mean_bytes * run.checkpoints;
  }
  if (agg.checkpoints > 0) {
    agg.mean_ms /= static_cast<double>(agg.checkpoints);
    agg.mean_bytes /= static_cast<double>(agg.checkpoints);
  }
  std::printf("| %s | %gM | %.1fM | %.2fM | %.2fM | %.1f%% | %llu | %.0f | %.0f | %.1f | %.1f |\n",
              c.windowed ? "windowed" : "keyed", c.keys / 1e6, c.records / 1e6, none / 1e6, with / 1e6,
              100 * with / none, static_cast<unsigned long long>(agg.checkpoints), agg.mean_ms, agg.max_ms,
              agg.max_alignment_ms, agg.mean_bytes / (1 << 20));
  if (agg.checkpoints == 0)
    std::printf("(no checkpoint completed in these runs, so the ratio measures nothing: run longer "
                "than the interval with --seconds)\n");
  std::fflush(stdout);
}

} // namespace

int bench_checkpoint_command(int argc, char** argv, int first) {
  auto args = parse_cli(argc, argv, first, {"keys", "window-keys", "seconds", "repeat", "interval"}, {"quick"});
  if (!args) return usage_error(args.error_value().message());
  if (args->help) {
    std::fputs(usage, stdout);
    return 0;
  }
  bool quick = args->has("quick");
  auto seconds = args->get_number("seconds", quick ? 4 : 8, 1, 3600);
  auto repeat = args->get_number("repeat", quick ? 1 : 3, 1, 100);
  auto interval = args->get_number("interval", 1000, 1, 3600000);
  auto window_keys = args->get_number("window-keys", 1000000, 1, 100000000);
  for (auto* n : {&seconds, &repeat, &interval, &window_keys})
    if (!*n) return usage_error(n->error_value().message());
  std::vector<uint64_t> keys = quick ? std::vector<uint64_t>{100000, 1000000}
                                     : std::vector<uint64_t>{100000, 1000000, 4000000};
  if (args->has("keys")) {
    keys.clear();
    std::string list = args->get("keys");
    for (size_t at = 0; at <= list.size();) {
      auto comma = std::min(list.find(',', at), list.size());
      keys.push_back(std::strtoull(list.substr(at, comma - at).c_str(), nullptr, 10));
      at = comma + 1;
    }
  }
  std::printf("weir bench checkpoint: checkpoints every %llu ms against none, %llu run(s) each (median), "
              "about %llu s per run, %u hardware threads\n\n",
              static_cast<unsigned long long>(*interval), static_cast<unsigned long long>(*repeat),
              static_cast<unsigned long long>(*seconds), std::thread::hardware_concurrency());
  std::printf("| workload | keys | records | no checkpoints rec/s | checkpoints rec/s | ratio | checkpoints "
              "| mean ms | longest ms | longest alignment ms | MiB per checkpoint |\n");
  std::printf("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n");
  std::vector<checkpoint_config> rows;
  for (auto k : keys) rows.push_back({false, k, 0, 0, 2});
  rows.push_back({true, *window_keys, 0, 0, 2});
  for (auto& c : rows) {
    auto records = calibrate(c, static_cast<double>(*seconds));
    if (!records) {
      std::fprintf(stderr, "weir bench checkpoint: %s\n", records.error_value().to_string().c_str());
      return 1;
    }
    c.records = *records;
    auto r = measure(c, *repeat, *interval);
    if (!r) {
      std::fprintf(stderr, "weir bench checkpoint: %s\n", r.error_value().to_string().c_str());
      return 1;
    }
    print_row(c, *r);
  }
  return 0;
}

} // namespace weir::apps
