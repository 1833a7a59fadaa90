#pragma once

/// \file Named jobs compiled into a binary. A node daemon rebuilds a job's
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

/// Registers `builder` under `name`, replacing any earlier one. Thread-safe.
void register_job(const std::string& name, job_builder builder);

/// The builder registered under `name`, or an errc::unknown_job error.
expected<job_builder> find_job(const std::string& name);

/// Names of all registered jobs, sorted.
std::vector<std::string> registered_jobs();

/// Builds the registered job `name` into `env` and records name and args in
/// the graph, so a multi-node run can ask nodes to rebuild it.
error build_registered_job(environment& env, const std::string& name, const job_args& args);

} // namespace weir
