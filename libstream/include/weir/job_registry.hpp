#pragma once

/// \file
/// Named jobs compiled into a binary. A node daemon rebuilds a job's
/// graph from its name and arguments, so every process of a multi-node run
/// agrees on operators, uids and parallelism without shipping code.

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "weir/error.hpp"

namespace weir {

class environment;

/// A job's arguments: option name (without dashes) to value.
using job_args = std::map<std::string, std::string>;

/// Builds a job into `env` from `args`; returns an error for bad arguments.
/// Must be deterministic: the same args give the same graph in every process.
using job_builder = std::function<error(environment& env, const job_args& args)>;

struct job_result;

/// An option a registered job takes on `weir run NAME`, as --NAME VALUE.
struct job_option {
  std::string name;     ///< Without dashes: "input".
  std::string fallback; ///< The value when it is not given ("": none).
  std::string help;     ///< One line for `weir run --help`.
  bool flag = false;    ///< Takes no value: "1" when given, "0" otherwise.
  bool path = false;    ///< A file or directory: made absolute for node daemons.
};

/// How `weir run` (weir::main) presents and checks a registered job. Every
/// job also takes --parallelism and the runtime's options.
struct job_info {
  std::string summary;             ///< A sentence or two for `weir run --help`.
  std::vector<job_option> options; ///< Its own options, in --help order.
  /// Options naming a file that must be readable before the run starts.
  std::vector<std::string> input_files;
  /// Options naming a directory the run writes, which must be a directory
  /// or not exist yet.
  std::vector<std::string> output_dirs;
  /// After a successful run, prints what it produced; false makes the
  /// command exit 1. Optional. Runs on the thread that ran the job.
  std::function<bool(const job_args& args, const job_result& result, bool on_nodes)> report;
};

/// Registers `builder` under `name`, replacing any earlier builder (and
/// keeping the job_info registered with it). Thread-safe.
void register_job(const std::string& name, job_builder builder);

/// Registers `builder` under `name` with what `weir run` shows and takes for
/// it. Thread-safe.
void register_job(const std::string& name, job_builder builder, job_info info);

/// What `weir run` knows of job `name` (empty if it was registered without),
/// or an errc::unknown_job error.
expected<job_info> find_job_info(const std::string& name);

/// The builder registered under `name`, or an errc::unknown_job error.
expected<job_builder> find_job(const std::string& name);

/// Names of all registered jobs, sorted.
std::vector<std::string> registered_jobs();

/// Builds the registered job `name` into `env` and records name and args in
/// the graph, so a multi-node run can ask nodes to rebuild it. The builder's
/// error, or an exception it throws, is returned as an error naming the job.
error build_registered_job(environment& env, const std::string& name, const job_args& args);

} // namespace weir
