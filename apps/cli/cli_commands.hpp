#pragma once

// The commands weir::main serves. Each returns the process exit code: 0 on
// success, 1 when the job (or what was asked) failed, 2 on bad usage.
// argv[first] is the first word after the command's name.

namespace weir::apps {

int run_command(int argc, char** argv, int first);
int node_command(int argc, char** argv, int first);
int checkpoints_command(int argc, char** argv, int first);
int state_command(int argc, char** argv, int first);
int job_command(int argc, char** argv, int first);
int savepoint_command(int argc, char** argv, int first);
int jobs_command(int argc, char** argv, int first);

} // namespace weir::apps
