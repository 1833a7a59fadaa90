#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "cli_args.hpp"
#include "commands.hpp"
#include "nexmark/generator.hpp"
#include "nexmark/queries.hpp"
#include "weir/stream.hpp"

namespace weir::apps {

namespace {

const char* nexmark_usage = R"(usage: weir nexmark --query Q --events N [--rate R] [--seed S] --output DIR [options]
       weir nexmark --query Q --input FILE --output DIR [options]
       weir nexmark generate --events N --output FILE [--rate R] [--seed S]

Runs a Nexmark query over generated events (--events) or over events in JSON
lines (--input: one person, auction or bid per line, dateTime in ms) and
writes its CSV result lines to DIR/part-* files. `generate` writes the
generated events as JSON lines instead, the same events a run with the same
--events, --rate and --seed processes.

queries:
  q0   pass-through of bids: auction,bidder,price,dateTime
  q1   bids in euros (price x 0.908): auction,bidder,price_eur,dateTime
  q2   bids with auction % 123 == 0: auction,price
  q3   category-10 auctions of sellers in OR, ID or CA: name,city,state,auction_id
  q4   each time an auction closes with a winning bid, its category's average winning
       price so far: category,auction,avg_price
  q5   hot items per 10 s window sliding by 2 s: window_start,window_end,auction,num_bids
  q6   each time an auction closes with a winner, the average winning price of its
       seller's last 10: seller,auction,avg_price
  q7   highest bid per 10 s window: window_start,window_end,auction,price,bidder,dateTime
  q8   persons who opened an auction in the 10 s window they registered in:
       window_start,person_id,name
  q9   every auction that closes with a winning bid, with that bid:
       id,itemName,description,initialBid,reserve,dateTime,expires,seller,category,
       extra,auction,bidder,price,bid_dateTime,bid_extra
  q10  every bid in a directory per UTC minute, committed by the watermark:
       DIR/dt=yyyy-MM-dd/hm=HH:mm/part-* and _SUCCESS: auction,bidder,price,dateTime,extra
  q11  bids per bidder per session (10 s gap): bidder,bid_count,session_start,session_end
  q12  bids per bidder per 10 s window of processing time:
       bidder,bid_count,window_start,window_end
  q13  every bid with each value of its key auction % 10000 in --side-input FILE
       (key,value lines): auction,bidder,price,dateTime,value
  q14  bids with 1,000,000 < price x 0.908 < 50,000,000, their UTC time of day and
       the number of 'c' in extra:
       auction,bidder,price_eur,bidTimeType,dateTime,extra,c_counts
  q15  per UTC day: bids, distinct bidders and auctions, in total and per price rank:
       day,total_bids,rank1_bids,rank2_bids,rank3_bids,total_bidders,rank1_bidders,...
  q16  the same per channel and day, with the latest minute: channel,day,minute,...
  q17  per auction and day: auction,day,total_bids,rank1_bids,rank2_bids,rank3_bids,
       min_price,max_price,avg_price,sum_price
  q18  the last bid of every bidder on every auction, at the end of input:
       auction,bidder,price,channel,url,dateTime,extra
  q19  the 10 first bids of every auction in bid order, at the end of input:
       auction,bidder,price,channel,url,dateTime,extra,rank_number
  q20  bids on category-10 auctions joined with the auction (unbounded):
       auction,bidder,price,channel,url,bid_dateTime,bid_extra,itemName,description,
       initialBid,reserve,auction_dateTime,expires,seller,category,auction_extra
  q21  bids with a channel id (named channel, else the url's channel_id; else dropped):
       auction,bidder,price,channel,channel_id
  q22  bids with their url's first three directories: auction,bidder,price,channel,dir1,dir2,dir3

options:
  --events N                generate N events (1 person, 3 auctions, 46 bids in 50)
  --rate R                  events per second of event time (default 1000000)
  --seed S                  the generator's seed (default 1)
  --side-input FILE         q13's key,value lines (read whole before the job runs)
  --parallelism N           subtasks per operator, 1-128 (default 1)
  --out-of-orderness-ms D   with --input: events arrive at most D ms out of order (default 0)
  --skip-bad-lines          count and skip malformed lines instead of failing
  --checkpoint-interval MS  take a checkpoint this often (default 1000; 0: none)
  --state-dir DIR           where checkpoints go (default weir-state/nexmark-Q)
)";

// After restore_options_usage.
const char* nexmark_usage_end = R"(  --restart-attempts N      restarts after a failure (default 3)
  --log-level L             debug, info, warn or error, as for weir run
  --batch-size N, --credit-window N, --buffer-timeout-ms N
                            runtime tuning, as for weir run
  --nodes H:P[,H:P..]       run tasks on these node daemons (see weir node), with
                            --remote-operators, --tls-cert/--tls-key/--tls-ca,
                            --node-silence-timeout-ms and --node-wait-ms as for
                            weir run (see weir run --help)
  --metrics-port P, --ui-port P, --metrics-bind ADDR, --influxdb-url URL, --influxdb-db DB,
  --metrics-interval-ms N   live metrics, as for weir run
  --quiet                   no progress line on stderr
  -h, --help                show this help
)";

void print_nexmark_usage() {
  std::fputs(nexmark_usage, stdout);
  std::fputs(restore_options_usage, stdout);
  std::fputs(nexmark_usage_end, stdout);
}

int usage_error(const std::string& message) {
  std::fprintf(stderr, "weir nexmark: %s (try weir nexmark --help)\n", message.c_str());
  return 2;
}

/// `weir nexmark generate`: the generator's events as JSON lines.
int generate_command(int argc, char** argv, int first) {
  auto args = parse_cli(argc, argv, first, {"events", "output", "rate", "seed"}, {});
  if (!args) return usage_error(args.error_value().message());
  if (args->help) {
    print_nexmark_usage();
    return 0;
  }
  if (!args->positional.empty()) return usage_error("unexpected argument '" + args->positional[0] + "'");
  auto events = args->get_number("events", 0, 0, UINT64_MAX / 2);
  auto rate = args->get_number("rate", 1000000, 1, 1000000000000ULL);
  auto seed = args->get_number("seed", 1, 0, UINT64_MAX);
  for (const auto* n : {&events, &rate, &seed})
    if (!*n) return usage_error(n->error_value().message());
  if (!args->has("events") || !args->has("output")) return usage_error("--events and --output are required");
  auto path = args->get("output");
  std::FILE* out = std::fopen(path.c_str(), "wbx"); // never overwrite: x fails if it exists
  if (out == nullptr)
    return usage_error("cannot create '" + path + "': " + std::strerror(errno)
                       + (errno == EEXIST ? " (remove it first)" : ""));
  nexmark::generator gen({*seed, *rate});
  for (uint64_t n = 0; n < *events; ++n) {
    auto line = nexmark::to_json(gen.at(n));
    line += '\n';
    if (std::fwrite(line.data(), 1, line.size(), out) != line.size()) break;
  }
  bool ok = std::fflush(out) == 0 && std::ferror(out) == 0;
  int err = errno;
  ok = std::fclose(out) == 0 && ok;
  if (!ok) {
    std::remove(path.c_str()); // no partial file left to block the next try (it never overwrites)
    std::fprintf(stderr, "weir nexmark generate: writing '%s' failed: %s\n", path.c_str(), std::strerror(err));
    return 1;
  }
  std::printf("nexmark generate: %llu events to %s\n", static_cast<unsigned long long>(*events), path.c_str());
  return 0;
}

} // namespace

int nexmark_command(int argc, char** argv, int first) {
  if (first < argc && std::string(argv[first]) == "generate") return generate_command(argc, argv, first + 1);
  std::set<std::string> valued{"query", "input", "output", "parallelism", "out-of-orderness-ms",
                               "events", "rate", "seed", "side-input"};
  std::set<std::string> flags{"skip-bad-lines", "quiet"};
  valued.insert(checkpoint_valued.begin(), checkpoint_valued.end());
  valued.insert(runtime_valued.begin(), runtime_valued.end());
  flags.insert(checkpoint_flags.begin(), checkpoint_flags.end());
  auto args = parse_cli(argc, argv, first, valued, flags);
  if (!args) return usage_error(args.error_value().message());
  if (args->help) {
    print_nexmark_usage();
    return 0;
  }
  if (!args->positional.empty()) return usage_error("unexpected argument '" + args->positional[0] + "'");
  auto p = args->get_number("parallelism", 1, 1, 128);
  auto bound = args->get_number("out-of-orderness-ms", 0, 0, 86400000);
  auto events = args->get_number("events", 0, 0, UINT64_MAX / 2);
  auto rate = args->get_number("rate", 1000000, 1, 1000000000000ULL);
  auto seed = args->get_number("seed", 1, 0, UINT64_MAX);
  for (const auto* n : {&p, &bound, &events, &rate, &seed})
    if (!*n) return usage_error(n->error_value().message());
  bool generated = args->has("events");
  if (!args->has("query") || !args->has("output") || generated == args->has("input"))
    return usage_error("--query, --output and one of --input FILE or --events N are required");
  if (generated && (args->has("skip-bad-lines") || args->has("out-of-orderness-ms")))
    return usage_error("--skip-bad-lines and --out-of-orderness-ms apply to --input only");
  if (!generated && (args->has("rate") || args->has("seed")))
    return usage_error("--rate and --seed apply to --events only");
  if (args->has("side-input") != (args->get("query") == "q13"))
    return usage_error(args->has("side-input") ? "--side-input applies to q13 only" : "q13 needs a side input (--side-input FILE)");
  if (!generated)
    if (auto err = check_readable_file(args->get("input"))) return usage_error(err.message());
  if (auto err = check_output_dir(args->get("output"))) return usage_error(err.message());
  environment env;
  job_args job{{"query", args->get("query")}, {"output", args->get("output")}, {"parallelism", std::to_string(*p)}};
  if (args->has("side-input")) job["side-input"] = args->get("side-input");
  if (generated) {
    job.insert({{"events", std::to_string(*events)}, {"rate", std::to_string(*rate)}, {"seed", std::to_string(*seed)}});
  } else {
    job.insert({{"input", args->get("input")}, {"out-of-orderness-ms", std::to_string(*bound)},
                {"skip-bad-lines", args->has("skip-bad-lines") ? "true" : "false"}});
  }
  absolute_paths_for_nodes(*args, job);
  if (auto err = apply_runtime_options(*args, env.options())) return usage_error(err.message());
  if (auto err = build_registered_job(env, "nexmark", job)) return usage_error(err.message());
  auto name = "nexmark-" + args->get("query");
  if (auto err = apply_checkpoint_options(*args, name, env.options())) return usage_error(err.message());
  if (auto code = check_savepoint_only(*args, env, name)) return *code;
  auto progress = show_progress(*args, env.options());
  auto result = env.execute(name);
  if (progress) progress->finish();
  if (!result.ok()) {
    std::fprintf(stderr, "weir nexmark: job failed: %s\n", result.failure.to_string().c_str());
    return 1;
  }
  std::printf("nexmark %s: %llu events in, %llu results out, %llu bad lines skipped, %llu late, %.3f s%s\n",
              args->get("query").c_str(), static_cast<unsigned long long>(result.source_records),
              static_cast<unsigned long long>(result.sink_records),
              static_cast<unsigned long long>(nexmark::skipped_bad_lines()),
              static_cast<unsigned long long>(result.late_records), result.seconds,
              checkpoint_summary(result, env.options()).c_str());
  return 0;
}

} // namespace weir::apps
