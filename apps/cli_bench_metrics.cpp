// weir bench metrics: what live metrics and their reporters cost, measured
// as the same workloads with metrics off and on, interleaved in one run.

#include <cstdio>
#include <string>
#include <vector>

#include "bench/nexmark_bench.hpp"
#include "bench/pipeline_bench.hpp"
#include "bench/stats.hpp"
#include "cli_args.hpp"
#include "commands.hpp"

namespace weir::apps {

namespace {

using bench::median;

const char* usage = R"(usage: weir bench metrics [options]

Runs the pipeline benchmark's job (generator -> map -> filter -> sink, every
operator its own actor, parallelism 2, batch 1024) and Nexmark q5 (generated
events, parallelism 2) with metrics off and on, interleaved (off, on, off,
...), each run a few seconds long (several metrics intervals), and prints a
markdown table of median records/s and the ratio on / off.
"On" is what a user turns on: the Prometheus endpoint and the dashboard on
free loopback ports, every task asked for its figures each interval, and
InfluxDB pushes when --influxdb-url is given. Results of both runs must be
equal (count and checksum); a mismatch exits 1.

options:
  --records N             pipeline records per run (default 100000000)
  --events N              Nexmark events per run (default 5000000)
  --runs K                runs of each, off and on (default 5)
  --metrics-interval-ms N how often tasks are asked (default 1000)
  --influxdb-url URL      also push to this InfluxDB (http://host:port)
  -h, --help              show this help
)";

int usage_error(const std::string& message) {
  std::fprintf(stderr, "weir bench metrics: %s (try weir bench metrics --help)\n", message.c_str());
  return 2;
}

struct workload {
  std::string name;
  double records = 0;
  /// Runs once with `metrics`; seconds and the folded result, or an error.
  std::function<expected<std::pair<double, bench::fold_result>>(const metrics_options&)> run;
};

workload pipeline_workload(uint64_t records) {
  return {"pipeline (actors, p=2, batch 1024)", static_cast<double>(records),
          [records](const metrics_options& m) {
            bench::pipeline_config c;
            c.parallelism = 2;
            c.metrics = m;
            auto r = bench::run_pipeline(c, records);
            if (!r) return expected<std::pair<double, bench::fold_result>>(r.error_value());
            return expected<std::pair<double, bench::fold_result>>(
                std::make_pair(r->seconds, r->folded));
          }};
}

workload nexmark_workload(uint64_t events) {
  return {"Nexmark q5 (p=2)", static_cast<double>(events), [events](const metrics_options& m) {
            bench::nexmark_config c;
            c.query = "q5";
            c.events = events;
            c.parallelism = 2;
            c.metrics = m;
            auto r = bench::run_nexmark_job(c);
            if (!r) return expected<std::pair<double, bench::fold_result>>(r.error_value());
            return expected<std::pair<double, bench::fold_result>>(
                std::make_pair(r->seconds, r->folded));
          }};
}

/// Median records/s off and on over `runs` interleaved pairs.
expected<std::pair<double, double>> measure(const workload& w, uint64_t runs,
                                            const metrics_options& on) {
  std::vector<double> off_rate, on_rate;
  for (uint64_t k = 0; k < runs; ++k) {
    auto a = w.run(metrics_options{});
    if (!a) return a.error_value();
    auto b = w.run(on);
    if (!b) return b.error_value();
    if (!(a->second == b->second))
      return error{errc::operator_failed, w.name + ": results differ with metrics on"};
    off_rate.push_back(w.records / a->first);
    on_rate.push_back(w.records / b->first);
  }
  return std::make_pair(median(off_rate), median(on_rate));
}

} // namespace

int bench_metrics_command(int argc, char** argv, int first) {
  auto args = parse_cli(argc, argv, first,
                        {"records", "events", "runs", "metrics-interval-ms", "influxdb-url"}, {});
  if (!args) return usage_error(args.error_value().message());
  if (args->help) {
    std::fputs(usage, stdout);
    return 0;
  }
  if (!args->positional.empty())
    return usage_error("unexpected argument '" + args->positional[0] + "'");
  auto records = args->get_number("records", 100000000, 1, UINT64_MAX / 2);
  auto events = args->get_number("events", 5000000, 1, UINT64_MAX / 2);
  auto runs = args->get_number("runs", 5, 1, 1000);
  auto interval = args->get_number("metrics-interval-ms", 1000, 100, 3600000);
  for (const auto* n : {&records, &events, &runs, &interval})
    if (!*n) return usage_error(n->error_value().message());
  metrics_options on;
  on.port = 0;
  on.ui_port = 0;
  on.interval_ms = static_cast<uint32_t>(*interval);
  on.influxdb_url = args->get("influxdb-url");
  if (auto err = on.check()) return usage_error(err.message());
  std::printf("| workload | records/s, metrics off | records/s, metrics on | on / off "
              "|\n|---|---|---|---|\n");
  for (const auto& w : {pipeline_workload(*records), nexmark_workload(*events)}) {
    auto r = measure(w, *runs, on);
    if (!r) {
      std::fprintf(stderr, "weir bench metrics: %s\n", r.error_value().to_string().c_str());
      return 1;
    }
    std::printf("| %s | %.3fM | %.3fM | %.1f%% |\n", w.name.c_str(), r->first / 1e6,
                r->second / 1e6, 100 * r->second / r->first);
    std::fflush(stdout);
  }
  return 0;
}

} // namespace weir::apps
