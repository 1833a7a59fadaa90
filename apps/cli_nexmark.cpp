#include <cstdio>
#include <fstream>

#include "cli_args.hpp"
#include "commands.hpp"
#include "nexmark/queries.hpp"
#include "weir/stream.hpp"

namespace weir::apps {

namespace {

const char* nexmark_usage = R"(usage: weir nexmark --query Q --input FILE --output DIR [options]

Runs a Nexmark query over events in JSON lines (one person, auction or bid per
line, dateTime in ms) and writes its CSV result lines to DIR/part-* files.

queries:
  q0   pass-through of bids: auction,bidder,price,dateTime
  q1   bids in euros (price x 0.908): auction,bidder,price_eur,dateTime
  q2   bids with auction % 123 == 0: auction,price
  q3   category-10 auctions of sellers in OR, ID or CA: name,city,state,auction_id
  q5   hot items per 10 s window sliding by 2 s: window_start,window_end,auction,num_bids
  q7   highest bid per 10 s window: window_start,window_end,auction,price,bidder,dateTime
  q8   persons who opened an auction in the 10 s window they registered in:
       window_start,person_id,name
  q11  bids per bidder per session (10 s gap): bidder,bid_count,session_start,session_end

options:
  --parallelism N           subtasks per operator, 1-128 (default 1)
  --out-of-orderness-ms D   events arrive at most D ms out of order (default 0)
  --skip-bad-lines          count and skip malformed lines instead of failing
  --checkpoint-interval MS  take a checkpoint this often (default 1000; 0: none)
  --state-dir DIR           where checkpoints go (default weir-state/nexmark-Q)
  --fresh                   start over, discarding an unfinished run's checkpoints
  --restart-attempts N      restarts after a failure (default 3)
  -h, --help                show this help
)";

int usage_error(const std::string& message) {
  std::fprintf(stderr, "weir nexmark: %s (try weir nexmark --help)\n", message.c_str());
  return 2;
}

} // namespace

int nexmark_command(int argc, char** argv, int first) {
  std::set<std::string> valued{"query", "input", "output", "parallelism", "out-of-orderness-ms"};
  std::set<std::string> flags{"skip-bad-lines"};
  valued.insert(checkpoint_valued.begin(), checkpoint_valued.end());
  flags.insert(checkpoint_flags.begin(), checkpoint_flags.end());
  auto args = parse_cli(argc, argv, first, valued, flags);
  if (!args) return usage_error(args.error_value().message());
  if (args->help) {
    std::fputs(nexmark_usage, stdout);
    return 0;
  }
  if (!args->positional.empty()) return usage_error("unexpected argument '" + args->positional[0] + "'");
  auto p = args->get_number("parallelism", 1, 1, 128);
  auto bound = args->get_number("out-of-orderness-ms", 0, 0, 86400000);
  if (!p) return usage_error(p.error_value().message());
  if (!bound) return usage_error(bound.error_value().message());
  if (!args->has("query") || !args->has("input") || !args->has("output"))
    return usage_error("--query, --input and --output are required");
  if (auto err = check_readable_file(args->get("input"))) return usage_error(err.message());
  if (auto err = check_output_dir(args->get("output"))) return usage_error(err.message());
  environment env;
  job_args job{{"query", args->get("query")},         {"input", args->get("input")},
               {"output", args->get("output")},       {"parallelism", std::to_string(*p)},
               {"out-of-orderness-ms", std::to_string(*bound)},
               {"skip-bad-lines", args->has("skip-bad-lines") ? "true" : "false"}};
  if (auto err = build_registered_job(env, "nexmark", job)) return usage_error(err.message());
  auto name = "nexmark-" + args->get("query");
  if (auto err = apply_checkpoint_options(*args, name, env.options())) return usage_error(err.message());
  auto result = env.execute(name);
  if (!result.ok()) {
    std::fprintf(stderr, "weir nexmark: job failed: %s\n", result.failure.to_string().c_str());
    return 1;
  }
  std::printf("nexmark %s: %llu lines in, %llu results out, %llu bad lines skipped, %llu late, %.3f s%s\n",
              args->get("query").c_str(), static_cast<unsigned long long>(result.source_records),
              static_cast<unsigned long long>(result.sink_records),
              static_cast<unsigned long long>(nexmark::skipped_bad_lines()),
              static_cast<unsigned long long>(result.late_records), result.seconds,
              checkpoint_summary(result, env.options()).c_str());
  return 0;
}

} // namespace weir::apps
