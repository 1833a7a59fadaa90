// weir bench pipeline: the runtime's overhead, measured against a hand-written
// loop doing the same work in the same process.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "bench/pipeline_bench.hpp"
#include "bench/stats.hpp"
#include "cli_args.hpp"
#include "commands.hpp"

namespace weir::apps {

namespace {

using bench::median;

using bench::fold_result;
using bench::pipeline_config;

const char* bench_usage = R"(usage: weir bench pipeline [options]

Runs generator -> map -> filter -> sink over deterministic bids (auction,
price) as a Weir job, and right before and after each job the same
generate/map/filter/fold as a hand-written single-threaded loop over the same
records. Prints a markdown table of records/s and the ratio job / loop, and
what each costs per record in CPU time (the job's summed over all its
threads, so it separates the runtime's cost from how well it used the cores).
Every job's record count and checksum must equal the loop's; a mismatch is
reported and the exit code is 1.

modes:
  actors    every operator subtask is its own actor: records cross three
            channels (encode, Cap'n Proto frame, CAF message, decode)
  chained   env.set_chaining(true): the four operators share one task per
            subtask, so records cross no channel and the credit window has
            no effect (its column shows "-")

options:
  --records N          bids per run (default 8000000 for actors, 30000000
                       for chained; a quarter of that with --quick)
  --repeat K           runs per row, the table shows the median (default 3,
                       1 with --quick)
  --quick              a small grid: batch sizes 256,4096 and window 4
  --modes LIST         actors,chained (default both)
  --parallelism LIST   operator parallelism (default 1,2)
  --batch-sizes LIST   records per frame (default 64,256,1024,4096)
  --windows LIST       credit windows, frames per channel (default 2,8)
  --threads N          CAF scheduler threads (default: one per core, at least 2)
  -h, --help           show this help
)";

/// Records per run when --records is not given: sized so that one run takes
/// roughly 0.5-2 s on a 2-core machine.
constexpr uint64_t default_actor_records = 8000000;
constexpr uint64_t default_chained_records = 30000000;

struct bench_plan {
  std::vector<pipeline_config> grid;
  uint64_t records = 0; ///< 0: the mode's default
  uint64_t repeat = 3;
  bool quick = false;
};

struct row {
  double pipeline_rps = 0; ///< median over the repeats
  double loop_rps = 0;     ///< median over the loops around every repeat
  double cpu_ns = 0;       ///< median CPU time the job spent per record, all threads
  std::string mismatch;    ///< empty when every run matched the loop
};

int usage_error(const std::string& message) {
  std::fprintf(stderr, "weir bench: %s (try weir bench --help)\n", message.c_str());
  return 2;
}

std::vector<std::string> split_commas(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    auto comma = std::min(text.find(',', start), text.size());
    out.push_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

/// A comma-separated list of numbers in [min, max], or `fallback` if absent.
expected<std::vector<uint64_t>> number_list(const cli_args& args, const std::string& name,
                                            std::vector<uint64_t> fallback, uint64_t min,
                                            uint64_t max) {
  if (!args.has(name)) return fallback;
  std::vector<uint64_t> out;
  for (const auto& item : split_commas(args.get(name))) {
    cli_args one; // reuses get_number's checks and its message
    one.options[name] = item;
    auto v = one.get_number(name, 0, min, max);
    if (!v) return v.error_value();
    out.push_back(*v);
  }
  return out;
}

expected<std::vector<bool>> mode_list(const cli_args& args) {
  std::vector<bool> chained;
  for (const auto& m : split_commas(args.get("modes", "actors,chained"))) {
    if (m != "actors" && m != "chained")
      return error{errc::bad_argument, "--modes takes actors and/or chained, got '" + m + "'"};
    chained.push_back(m == "chained");
  }
  return chained;
}

/// The values to try on each axis of the grid.
struct grid_axes {
  std::vector<bool> chained;
  std::vector<uint64_t> parallelism;
  std::vector<uint64_t> batch_sizes;
  std::vector<uint64_t> windows;
  size_t threads = 0;
};

expected<grid_axes> parse_axes(const cli_args& args, bool quick) {
  using list = std::vector<uint64_t>;
  auto modes = mode_list(args);
  auto ps = number_list(args, "parallelism", {1, 2}, 1, 128);
  auto batches = number_list(args, "batch-sizes", quick ? list{256, 4096} : list{64, 256, 1024, 4096},
                             1, 1 << 20);
  auto windows = number_list(args, "windows", quick ? list{4} : list{2, 8}, 1, 1 << 16);
  auto threads = args.get_number("threads", 0, 1, 256);
  if (!modes) return modes.error_value();
  for (auto* l : {&ps, &batches, &windows})
    if (!*l) return l->error_value();
  if (!threads) return threads.error_value();
  return grid_axes{*modes, *ps, *batches, *windows, static_cast<size_t>(*threads)};
}

std::vector<pipeline_config> make_grid(const grid_axes& axes) {
  std::vector<pipeline_config> grid;
  for (bool chained : axes.chained)
    for (auto p : axes.parallelism)
      for (auto batch : axes.batch_sizes)
        for (auto window : axes.windows) {
          pipeline_config config;
          config.chained = chained;
          config.parallelism = static_cast<uint32_t>(p);
          config.batch_size = batch;
          config.credit_window = static_cast<uint32_t>(window);
          config.scheduler_threads = axes.threads;
          grid.push_back(config);
          if (chained) break; // no channels: one window stands for all
        }
  return grid;
}

expected<bench_plan> make_plan(const cli_args& args) {
  bench_plan plan;
  plan.quick = args.has("quick");
  auto records = args.get_number("records", 0, 1, uint64_t{1} << 40);
  auto repeat = args.get_number("repeat", plan.quick ? 1 : 3, 1, 1000);
  auto axes = parse_axes(args, plan.quick);
  if (!records) return records.error_value();
  if (!repeat) return repeat.error_value();
  if (!axes) return axes.error_value();
  plan.records = args.has("records") ? *records : 0;
  plan.repeat = *repeat;
  plan.grid = make_grid(*axes);
  return plan;
}

uint64_t records_for(const bench_plan& plan, const pipeline_config& c) {
  if (plan.records > 0) return plan.records;
  uint64_t n = c.chained ? default_chained_records : default_actor_records;
  return plan.quick ? n / 4 : n;
}

/// Runs the loop once; returns its records/s and sets `result`.
double timed_loop(uint64_t records, fold_result& result) {
  auto start = std::chrono::steady_clock::now();
  result = bench::run_loop(records);
  std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  return records / took.count();
}

/// Empty if the job produced exactly what the loop did, else what differs.
std::string compare(const bench::pipeline_run& run, uint64_t records, const fold_result& want) {
  if (run.source_records == records && run.sink_records == want.count && run.folded == want)
    return {};
  char text[256];
  std::snprintf(text, sizeof text,
                "job read %llu, wrote %llu, folded count %llu checksum %016llx; "
                "loop read %llu, kept count %llu checksum %016llx",
                (unsigned long long) run.source_records, (unsigned long long) run.sink_records,
                (unsigned long long) run.folded.count, (unsigned long long) run.folded.checksum,
                (unsigned long long) records, (unsigned long long) want.count,
                (unsigned long long) want.checksum);
  return text;
}

/// One row: loop, job, loop, job, ..., loop. Every job is timed between two
/// loops so that both see the same machine state (frequency, noisy neighbours
/// on a shared VM); sharing the loops between jobs keeps the run short.
expected<row> measure(const pipeline_config& c, uint64_t records, uint64_t repeat) {
  std::vector<double> pipeline, loop, cpu_ns;
  row out;
  fold_result want;
  loop.push_back(timed_loop(records, want));
  for (uint64_t k = 0; k < repeat; ++k) {
    auto run = bench::run_pipeline(c, records);
    if (!run) return run.error_value();
    pipeline.push_back(records / run->seconds);
    cpu_ns.push_back(run->cpu_seconds * 1e9 / records);
    if (out.mismatch.empty()) out.mismatch = compare(*run, records, want);
    fold_result again;
    loop.push_back(timed_loop(records, again));
    if (again != want && out.mismatch.empty()) out.mismatch = "the loop is not deterministic";
  }
  out.pipeline_rps = median(pipeline);
  out.loop_rps = median(loop);
  out.cpu_ns = median(cpu_ns);
  return out;
}

void print_header(const bench_plan& plan) {
  std::printf("weir bench pipeline: generator -> map -> filter -> sink, %llu run(s) per row "
              "(median), %u hardware threads\n\n",
              (unsigned long long) plan.repeat, std::thread::hardware_concurrency());
  std::printf("| mode | parallelism | batch | window | records | records/s | loop records/s | ratio "
              "| job CPU ns/record | loop ns/record |\n");
  std::printf("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n");
}

void print_row(const pipeline_config& c, uint64_t records, const row& r) {
  std::string window = c.chained ? "-" : std::to_string(c.credit_window);
  std::printf("| %s | %u | %zu | %s | %gM | %.2fM | %.1fM | %.1f%% | %.1f | %.1f |%s\n",
              c.chained ? "chained" : "actors", c.parallelism, c.batch_size, window.c_str(),
              records / 1e6, r.pipeline_rps / 1e6, r.loop_rps / 1e6,
              100 * r.pipeline_rps / r.loop_rps, r.cpu_ns, 1e9 / r.loop_rps,
              r.mismatch.empty() ? "" : " MISMATCH");
  std::fflush(stdout);
}

} // namespace

int bench_command(int argc, char** argv, int first) {
  if (first < argc && std::string(argv[first]) == "checkpoint") return bench_checkpoint_command(argc, argv, first + 1);
  if (first < argc && std::string(argv[first]) == "nexmark") return bench_nexmark_command(argc, argv, first + 1);
  if (first < argc && std::string(argv[first]) == "nodes") return bench_nodes_command(argc, argv, first + 1);
  if (first < argc && std::string(argv[first]) == "metrics") return bench_metrics_command(argc, argv, first + 1);
  if (first < argc && std::string(argv[first]) == "redis") return bench_redis_command(argc, argv, first + 1);
  if (first < argc && std::string(argv[first]) == "kafka") return bench_kafka_command(argc, argv, first + 1);
  if (first < argc && std::string(argv[first]) == "postgres") return bench_postgres_command(argc, argv, first + 1);
  auto args = parse_cli(argc, argv, first,
                        {"records", "repeat", "modes", "parallelism", "batch-sizes", "windows",
                         "threads"},
                        {"quick"});
  if (!args) return usage_error(args.error_value().message());
  if (args->help) {
    std::fputs(bench_usage, stdout);
    return 0;
  }
  if (args->positional.size() != 1 || args->positional[0] != "pipeline")
    return usage_error("the benchmarks are 'pipeline', 'checkpoint', 'nexmark', 'nodes', 'metrics', 'redis', 'kafka' and 'postgres'");
  auto plan = make_plan(*args);
  if (!plan) return usage_error(plan.error_value().message());
  print_header(*plan);
  int failed = 0;
  for (const auto& c : plan->grid) {
    uint64_t records = records_for(*plan, c);
    auto r = measure(c, records, plan->repeat);
    if (!r) {
      std::fprintf(stderr, "weir bench: job failed: %s\n", r.error_value().to_string().c_str());
      return 1;
    }
    print_row(c, records, *r);
    if (!r->mismatch.empty()) {
      std::fprintf(stderr, "weir bench: MISMATCH with the loop: %s\n", r->mismatch.c_str());
      ++failed;
    }
  }
  if (failed > 0) {
    std::fprintf(stderr, "weir bench: %d row(s) disagree with the hand-written loop\n", failed);
    return 1;
  }
  std::printf("\nevery run's count and checksum matched the hand-written loop\n");
  return 0;
}

} // namespace weir::apps
