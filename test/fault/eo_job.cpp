// The job the exactly-once fault test kills: a keyed running count over a
// replayable, paced generator of numbered records, into a transactional
// file sink, checkpointing into a state dir. Each output line is
// "key,sequence,count". Run again with the same arguments, it resumes.
// The savepoint tests also start it from a savepoint, at another
// parallelism, or with the counting operator under another uid (or none).
//
// usage: weir_eo_job --records N --keys K --per-ms R --interval MS --output DIR --state-dir DIR
//                    [--parallelism P] [--from-savepoint S] [--allow-non-restored-state 1]
//                    [--count-uid UID|generated] [--savepoint-on-stop NAME]

#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <tuple>

#include "support/paced_source.hpp"
#include "weir/sinks.hpp"
#include "weir/stream.hpp"

using namespace weir;
using record = std::tuple<int64_t, int64_t, int64_t>; // key, sequence, count

int main(int argc, char** argv) {
  std::map<std::string, std::string> args;
  for (int i = 1; i + 1 < argc; i += 2) args[argv[i]] = argv[i + 1];
  for (const char* k : {"--records", "--keys", "--per-ms", "--interval", "--output", "--state-dir"})
    if (!args.count(k)) {
      std::fprintf(stderr, "weir_eo_job: missing %s\n", k);
      return 2;
    }
  auto n = std::strtoull(args["--records"].c_str(), nullptr, 10);
  auto keys = std::strtoll(args["--keys"].c_str(), nullptr, 10);
  auto opt = [&](const char* name, const char* fallback) { return args.count(name) ? args[name] : std::string(fallback); };
  environment env;
  env.set_parallelism(static_cast<uint32_t>(std::stoul(opt("--parallelism", "2"))));
  env.set_job_version("eo-1");
  env.options().checkpoints.interval_ms = std::strtoull(args["--interval"].c_str(), nullptr, 10);
  env.options().checkpoints.state_dir = args["--state-dir"];
  env.options().checkpoints.from_savepoint = opt("--from-savepoint", "");
  env.options().checkpoints.allow_non_restored_state = args.count("--allow-non-restored-state") > 0;
  env.options().checkpoints.savepoint_on_stop = opt("--savepoint-on-stop", "");
  auto count_uid = opt("--count-uid", "count");
  env.options().log = [](const std::string& line) { std::fprintf(stderr, "weir: %s\n", line.c_str()); };
  auto counted = env.add_source<record>(test::paced(n, std::atof(args["--per-ms"].c_str()), [keys](uint64_t i) {
                     return record{static_cast<int64_t>(i) % keys, static_cast<int64_t>(i), 1};
                   }))
                   .uid("numbers")
                   .key_by([](const record& r) { return std::get<0>(r); })
                   .reduce([](const record& acc, const record& r) {
                     return record{std::get<0>(r), std::get<1>(r), std::get<2>(acc) + 1};
                   });
  if (count_uid != "generated") counted.uid(count_uid);
  counted
    .map([](const record& r) {
      return std::to_string(std::get<0>(r)) + "," + std::to_string(std::get<1>(r)) + "," + std::to_string(std::get<2>(r));
    })
    .uid("format")
    .sink(file_sink(args["--output"]))
    .uid("out");
  auto result = env.execute("exactly-once");
  if (!result.ok()) {
    std::fprintf(stderr, "weir_eo_job: %s\n", result.failure.to_string().c_str());
    return 1;
  }
  std::printf("done: %llu records, %llu checkpoints, resumed from %llu%s%s\n",
              static_cast<unsigned long long>(result.source_records),
              static_cast<unsigned long long>(result.checkpoints),
              static_cast<unsigned long long>(result.resumed_from),
              result.stopped_with.empty() ? "" : ", stopped with savepoint ", result.stopped_with.c_str());
  return 0;
}
