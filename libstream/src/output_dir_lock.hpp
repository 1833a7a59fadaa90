#pragma once

#include <cstdint>
#include <string>

namespace weir::detail {

/// Holds an output directory for one run of a job, so two runs never write
/// into one directory: a shared flock on DIR/.weir-lock, which records the
/// run id (between processes: sink subtasks of one run on several nodes of
/// one machine share it, another run is refused), plus a registry of the
/// runs in this process (flock does not tell two runs of one process apart).
/// Sink subtasks of the same run share the hold. Thread-safe.
class output_dir_lock {
public:
  /// Acquires `dir` (an existing directory) for run `run_id`. Throws
  /// std::runtime_error naming the directory and the run holding it.
  output_dir_lock(const std::string& dir, uint64_t run_id);
  ~output_dir_lock();
  output_dir_lock(const output_dir_lock&) = delete;
  output_dir_lock& operator=(const output_dir_lock&) = delete;

private:
  std::string key_;
};

} // namespace weir::detail
