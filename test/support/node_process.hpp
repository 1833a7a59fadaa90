#pragma once

// A `weir node` daemon for tests, in its own process on a free loopback port.
// Main thread only (it uses Catch2 macros).

#include <catch2/catch.hpp>

#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "jobs/wordcount.hpp"
#include "support/process.hpp"
#include "support/text.hpp"
#include "support/temp_dir.hpp"
#include "weir/job_registry.hpp"
#include "weir/stream.hpp"

namespace weir::test {

struct node_process {
  temp_dir dir;
  std::unique_ptr<child_process> process;
  std::string address;
  std::string port;

  explicit node_process(std::vector<std::string> extra = {}) {
    std::vector<std::string> argv{WEIR_CLI, "node", "--port-file", dir.file("port")};
    argv.insert(argv.end(), extra.begin(), extra.end());
    process = std::make_unique<child_process>(argv, dir.file("log"));
    port = wait_for_file_line(dir.file("port"), 20000);
    REQUIRE_FALSE(port.empty());
    address = "127.0.0.1:" + port;
  }

  /// What the node wrote to stdout and stderr so far.
  std::string log() const { return read_file(dir.file("log")); }
};

/// Checks word count's final counts in `out_dir` against an independent count of `text`.
inline void check_word_counts(const std::string& out_dir, const std::string& text) {
  auto counts = apps::read_final_counts(out_dir);
  REQUIRE(counts);
  CHECK(std::map<std::string, int64_t>(counts->begin(), counts->end()) == reference_counts(text));
}

/// Builds into `env` a word count long enough to be cut mid-run (200,000
/// lines, frames of 16 records) whose `count` operator runs on `node` at
/// parallelism 1; its first output file is DIR/out/.part-out-0.000000.inprogress.
inline void build_long_wordcount(environment& env, const std::string& node, const temp_dir& dir) {
  std::mt19937_64 rng(5);
  write_file(dir.file("in.txt"), random_text(rng, 200000));
  apps::register_wordcount();
  env.options().nodes = {node};
  env.options().remote_uids = {"count"};
  env.options().batch_size = 16;
  REQUIRE_FALSE(build_registered_job(env, "wordcount", {{"input", dir.file("in.txt")},
                                                        {"output", dir.file("out")},
                                                        {"parallelism", "1"}}));
}

/// Word count at parallelism 2 over `nodes` (batch 64), after `adjust`
/// changed its options; a job that does not build is a failed result.
inline job_result run_wordcount_on(const std::vector<std::string>& nodes, const std::string& input,
                                   const std::string& output,
                                   const std::function<void(runtime_options&)>& adjust = {}) {
  apps::register_wordcount();
  environment env;
  env.options().nodes = nodes;
  env.options().batch_size = 64;
  if (adjust) adjust(env.options());
  if (auto err = build_registered_job(env, "wordcount", {{"input", input}, {"output", output}, {"parallelism", "2"}})) {
    job_result failed;
    failed.failure = err;
    return failed;
  }
  return env.execute("wordcount");
}

} // namespace weir::test
