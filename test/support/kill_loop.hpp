#pragma once

// The loop of the connector kill tests: start a job process, SIGKILL it at
// a random moment, start it again, `kills` times, then let it finish.
// Main thread only (it uses Catch2 macros).

#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <vector>

#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "support/text.hpp"

namespace weir::test {

struct kills_landed {
  int kills = 0;
  int resumed = 0; ///< Starts whose log says they resumed job `job` from a checkpoint.
};

/// Runs `argv` (a job named `job`) with its logs in `dir`, killing each
/// start 200-800 ms in until `kills` kills landed; the last start must
/// finish with exit code 0, and must not finish before then.
inline kills_landed kill_and_restart(const std::vector<std::string>& argv, const temp_dir& dir,
                                     const std::string& job, int kills, std::mt19937_64& rng) {
  std::uniform_int_distribution<int> moment(200, 800);
  kills_landed r;
  for (int start = 0;; ++start) {
    auto log = dir.file("start-" + std::to_string(start) + ".log");
    child_process child(argv, log);
    bool last = r.kills >= kills;
    auto exit = child.wait(last ? 300000 : moment(rng));
    auto text = read_file(log);
    if (text.find("resuming the unfinished run of '" + job + "' from checkpoint ")
        != std::string::npos)
      ++r.resumed;
    if (exit) {
      INFO(text);
      REQUIRE(*exit == 0);
      REQUIRE(last); // finished before enough kills landed: the test would prove nothing
      return r;
    }
    REQUIRE(child.kill()); // the fault: SIGKILL while it runs
    ++r.kills;
  }
}

} // namespace weir::test
