// weir bench nexmark: each Nexmark query as a Weir job against its
// hand-written single-threaded loop (the COST baseline), over the same
// events, with the results checked equal.

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <thread>
#include <string>
#include <vector>

#include "bench/nexmark_bench.hpp"
#include "bench/stats.hpp"
#include "cli_args.hpp"
#include "commands.hpp"
#include "nexmark/queries.hpp"

namespace weir::apps {

namespace {

using bench::median;
using bench::nexmark_config;
using bench::nexmark_run;

const char* usage = R"(usage: weir bench nexmark [options]

Runs Nexmark queries as Weir jobs and as hand-written single-threaded loops
over the same events (the COST baseline), interleaved (loop, job, loop, ...),
checks that both wrote the same lines (count and an order-independent
checksum; a mismatch exits 1), and prints a markdown table of medians:
events/s of the job and of the loop and their ratio, the job's CPU seconds
and the ratio per CPU second (loop CPU / job CPU), and the largest resident
set sampled during the job.

sources:
  generator  the generator runs inside the source subtasks (end to end; the
             loop generates the same events itself)
  replay     events generated beforehand and held in memory, replayed by the
             source (the runtime's own cost; at most 10,000,000 events)

options:
  --query Q|all              a query, or all of them (default all)
  --events N                 events per run (default 1000000)
  --parallelism P            of every operator, 1-128 (default 1)
  --checkpoint-interval MS   checkpoints into a temporary LevelDB (default 0: none); the
                             job also runs without them in each round, and the table adds
                             its rate and the share the checkpointed job kept
  --runs K                   runs of each, the table shows medians (default 3)
  --sources LIST             generator,replay (default both)
  --chain                    chain forward-connected operators into one actor
  --records struct|capnp     the job's event records: C++ structs with Weir's codec (default),
                             or Cap'n Proto structs read in place (schemas/nexmark.capnp;
                             q0, q1 and q2); the loop is the same
  --seed S                   the generator's seed (default 1)
  -h, --help                 show this help
)";

int usage_error(const std::string& message) {
  std::fprintf(stderr, "weir bench nexmark: %s (try weir bench nexmark --help)\n", message.c_str());
  return 2;
}

struct row {
  std::vector<double> job_eps, loop_eps, job_cpu, loop_cpu, rss;
  std::vector<double> plain_eps; // with --checkpoint-interval: the job without checkpoints
  uint64_t lines = 0;
};

void progress(const std::string& what) {
  if (::isatty(STDERR_FILENO) == 0) return;
  std::fprintf(stderr, "\r\033[K%s", what.c_str());
  std::fflush(stderr);
}

error mismatch(const nexmark_config& c, const char* source, const nexmark_run& job, const nexmark_run& loop) {
  return error(errc::operator_failed,
               "results differ: " + c.query + " (" + source + "): the job wrote " + std::to_string(job.folded.count)
                 + " lines, the loop " + std::to_string(loop.folded.count)
                 + (job.folded.count == loop.folded.count ? ", with different checksums" : ""));
}

/// Runs loop and job `runs` times, interleaved (with checkpoints, also the
/// job without them); fails on a mismatch.
expected<row> measure(const nexmark_config& c, uint64_t runs, const char* source) {
  row r;
  auto events = static_cast<double>(c.events);
  auto plain = c;
  plain.checkpoint_interval_ms = 0;
  for (uint64_t k = 0; k < runs; ++k) {
    progress(c.query + " " + source + ": run " + std::to_string(k + 1) + " of " + std::to_string(runs));
    auto loop = bench::run_nexmark_loop(c);
    if (!loop) return loop.error_value();
    auto job = bench::run_nexmark_job(c);
    if (!job) return job.error_value();
    if (job->folded != loop->folded) return mismatch(c, source, *job, *loop);
    if (c.checkpoint_interval_ms > 0) {
      auto without = bench::run_nexmark_job(plain);
      if (!without) return without.error_value();
      if (without->folded != loop->folded) return mismatch(plain, source, *without, *loop);
      r.plain_eps.push_back(events / without->seconds);
    }
    r.lines = job->folded.count;
    r.job_eps.push_back(events / job->seconds);
    r.loop_eps.push_back(events / loop->seconds);
    r.job_cpu.push_back(job->cpu_seconds);
    r.loop_cpu.push_back(loop->cpu_seconds);
    r.rss.push_back(job->peak_rss_mib);
  }
  progress("");
  return r;
}

void print_row(const nexmark_config& c, const char* source, const row& r) {
  double job = median(r.job_eps), loop = median(r.loop_eps);
  double job_cpu = median(r.job_cpu), loop_cpu = median(r.loop_cpu);
  std::printf("| %s | %s | %u | %.2fM | %.3fM | %.3fM | %.1f%% | %.2f | %.1f%% | %.0f | %llu |", c.query.c_str(),
              source, c.parallelism, static_cast<double>(c.events) / 1e6, job / 1e6, loop / 1e6, 100 * job / loop,
              job_cpu, job_cpu > 0 ? 100 * loop_cpu / job_cpu : 0.0, median(r.rss),
              static_cast<unsigned long long>(r.lines));
  if (!r.plain_eps.empty()) std::printf(" %.3fM | %.1f%% |", median(r.plain_eps) / 1e6, 100 * job / median(r.plain_eps));
  std::printf("\n");
  std::fflush(stdout);
}

expected<std::vector<std::string>> parse_list(const std::string& list, const std::vector<std::string>& allowed,
                                              const char* what) {
  std::vector<std::string> out;
  for (size_t at = 0; at <= list.size();) {
    auto comma = std::min(list.find(',', at), list.size());
    auto item = list.substr(at, comma - at);
    if (std::find(allowed.begin(), allowed.end(), item) == allowed.end())
      return error{errc::bad_argument, std::string("unknown ") + what + " '" + item + "'"};
    out.push_back(item);
    at = comma + 1;
  }
  return out;
}

} // namespace

int bench_nexmark_command(int argc, char** argv, int first) {
  auto args = parse_cli(argc, argv, first,
                        {"query", "events", "parallelism", "checkpoint-interval", "runs", "sources", "seed", "records"}, {"chain"});
  if (!args) return usage_error(args.error_value().message());
  if (args->help) {
    std::fputs(usage, stdout);
    return 0;
  }
  if (!args->positional.empty()) return usage_error("unexpected argument '" + args->positional[0] + "'");
  auto events = args->get_number("events", 1000000, 1, UINT64_MAX / 2);
  auto parallelism = args->get_number("parallelism", 1, 1, 128);
  auto interval = args->get_number("checkpoint-interval", 0, 0, 3600000);
  auto runs = args->get_number("runs", 3, 1, 1000);
  auto seed = args->get_number("seed", 1, 0, UINT64_MAX);
  for (const auto* n : {&events, &parallelism, &interval, &runs, &seed})
    if (!*n) return usage_error(n->error_value().message());
  auto records = args->get("records", "struct");
  if (records != "struct" && records != "capnp") return usage_error("--records is struct or capnp, not '" + records + "'");
  bool capnp = records == "capnp";
  const auto& names = capnp ? nexmark::record_query_names() : nexmark::query_names();
  auto query = args->get("query", "all");
  auto queries = query == "all" ? expected<std::vector<std::string>>(names) : parse_list(query, names, "query");
  auto sources = parse_list(args->get("sources", "generator,replay"), {"generator", "replay"}, "source");
  if (!queries) return usage_error(queries.error_value().message());
  if (!sources) return usage_error(sources.error_value().message());
  bool replay = std::find(sources->begin(), sources->end(), "replay") != sources->end();
  if (replay && *events > 10000000) return usage_error("--sources replay holds the events in memory: at most 10000000");

  nexmark_config c;
  c.events = *events;
  c.parallelism = static_cast<uint32_t>(*parallelism);
  c.chained = args->has("chain");
  c.checkpoint_interval_ms = *interval;
  c.generator.seed = *seed;
  c.capnp_records = capnp;
  std::shared_ptr<const std::vector<nexmark::event>> held;
  std::shared_ptr<const std::vector<nexmark::event_record>> held_records;
  if (replay) {
    progress("generating " + std::to_string(c.events) + " events to replay");
    auto all = std::make_shared<std::vector<nexmark::event>>();
    all->reserve(c.events);
    nexmark::generator gen(c.generator);
    for (uint64_t n = 0; n < c.events; ++n) all->push_back(gen.at(n));
    held = std::move(all);
    if (capnp) {
      auto recs = std::make_shared<std::vector<nexmark::event_record>>();
      recs->reserve(c.events);
      for (const auto& e : *held) recs->push_back(nexmark::to_record(e));
      held_records = std::move(recs);
    }
  }
  std::printf("weir bench nexmark: %llu events (rate %llu/s of event time, seed %llu), parallelism %u%s, "
              "checkpoints %s, %s records, %llu run(s) each (median), %u hardware threads\n\n",
              static_cast<unsigned long long>(c.events), static_cast<unsigned long long>(c.generator.rate),
              static_cast<unsigned long long>(c.generator.seed), c.parallelism, c.chained ? ", chained" : "",
              c.checkpoint_interval_ms > 0 ? ("every " + std::to_string(c.checkpoint_interval_ms) + " ms").c_str()
                                           : "none",
              capnp ? "Cap'n Proto" : "struct", static_cast<unsigned long long>(*runs), std::thread::hardware_concurrency());
  bool checkpoints = c.checkpoint_interval_ms > 0;
  std::printf("| query | source | parallelism | events | job events/s | loop events/s | ratio | job CPU s "
              "| ratio per CPU s | peak RSS MiB | result lines |%s\n",
              checkpoints ? " without checkpoints events/s | kept |" : "");
  std::printf("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|%s\n", checkpoints ? "--:|--:|" : "");
  for (const auto& q : *queries) {
    for (const auto& source : *sources) {
      c.query = q;
      c.replay = source == "replay" ? held : nullptr;
      c.replay_records = source == "replay" ? held_records : nullptr;
      auto r = measure(c, *runs, source.c_str());
      if (!r) {
        std::fprintf(stderr, "weir bench nexmark: %s\n", r.error_value().to_string().c_str());
        return 1;
      }
      print_row(c, source.c_str(), *r);
    }
  }
  return 0;
}

} // namespace weir::apps
