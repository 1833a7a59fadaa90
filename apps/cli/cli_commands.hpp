#pragma once

// The commands weir::main serves. Each returns the process exit code: 0 on
// success, 1 when the job (or what was asked) failed, 2 on bad usage.
// argv[first] is the first word after the command's name.

#include <string>
#include <vector>

namespace weir::apps {

/// What is wrong with the registered jobs' options, one message each: an
/// option `weir run` takes itself (--state-dir, say), or one name a flag in
/// one job and valued in another (the command line could not be read).
/// `weir run` refuses to run while there is any.
std::vector<std::string> job_option_clashes();

int run_command(int argc, char** argv, int first);
int node_command(int argc, char** argv, int first);
int checkpoints_command(int argc, char** argv, int first);
int state_command(int argc, char** argv, int first);
int job_command(int argc, char** argv, int first);
int savepoint_command(int argc, char** argv, int first);
int jobs_command(int argc, char** argv, int first);

} // namespace weir::apps
