#pragma once

/// \file
/// The weir command line in your own binary. After registering your
/// jobs (weir::register_job, with a weir::job_info for `run`'s options):
///
///     int main(int argc, char** argv) {
///       register_my_jobs();
///       return weir::main(argc, argv);
///     }
///
/// and the binary runs them embedded (`app run NAME`), serves them as a node
/// daemon (`app node`), coordinates nodes (`app run NAME --nodes ...`), and
/// takes savepoints, queries state and lists jobs (`app savepoint`, `app
/// state`, `app jobs`, `app job`, `app checkpoints`), as the `weir` command
/// does. Link weir::weir.

#include <functional>
#include <string>
#include <vector>

namespace weir {

/// A command of your own, served next to Weir's.
struct cli_command {
  std::string name; ///< The word after the binary's name: "report".
  std::string help; ///< One line for --help.
  /// Runs it: argv[first] is the first word after the command's name.
  /// Returns the exit code (0 ok, 1 failed, 2 bad usage).
  std::function<int(int argc, char** argv, int first)> run;
};

/// Serves the command line: run, node, checkpoints, state, job, jobs,
/// savepoint, --version, --help. Returns the exit code for main to return:
/// 0 on success, 1 when the job or what was asked failed, 2 on bad usage
/// (said on stderr). Call it from the main thread, once.
int main(int argc, char** argv);

/// The same, with `extra` commands served too (listed after Weir's in
/// --help; a name of Weir's own is Weir's).
int main(int argc, char** argv, const std::vector<cli_command>& extra);

} // namespace weir
