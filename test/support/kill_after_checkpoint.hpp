#pragma once

// Kills a `weir run` process once its job has completed a checkpoint, as
// its own control endpoint says (`weir job status`), so the kill lands after
// state was saved however fast the machine runs the job. Main thread only.

#include <catch2/catch.hpp>

#include <regex>
#include <string>
#include <vector>

#include "support/process.hpp"

namespace weir::test {

/// Starts `argv` (a job checkpointing into `state_dir`), waits until it has
/// completed a checkpoint, and SIGKILLs it; fails the test if it ended first.
inline void kill_after_first_checkpoint(const std::vector<std::string>& argv,
                                        const std::string& state_dir, const std::string& log) {
  child_process job(argv, log);
  REQUIRE_FALSE(wait_for_file_line(state_dir + "/weir-control", 60000).empty());
  static const std::regex done(" [1-9][0-9]* checkpoint\\(s\\) completed");
  bool checkpointed = false;
  for (int i = 0; i < 200 && !checkpointed && !job.wait(0); ++i) {
    auto status = run_command({WEIR_CLI, "job", "status", "--state-dir", state_dir}, 30000);
    checkpointed = std::regex_search(status.output, done); // each asks the job twice, 0.5 s apart
  }
  REQUIRE(checkpointed);
  REQUIRE(job.kill()); // the fault: still running, killed
}

} // namespace weir::test
