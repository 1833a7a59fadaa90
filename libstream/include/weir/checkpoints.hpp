#pragma once

/// \file Reading a state directory's checkpoints without running the job:
/// what `weir checkpoints list` and `weir checkpoints verify` print. Defined
/// by the runtime library (weir_actors); link weir::weir.

#include <cstdint>
#include <string>
#include <vector>

#include "weir/error.hpp"

namespace weir {

/// One checkpoint of a job in a state directory: completed (its manifest
/// exists) or abandoned (with why).
struct checkpoint_info {
  std::string job;
  uint64_t id = 0;
  bool completed = false;
  bool retained = false;       ///< Still stored (restorable), not only in the history.
  int64_t started_ms = 0;      ///< Wall clock, ms since the epoch.
  uint64_t duration_ms = 0;
  uint64_t alignment_us = 0;   ///< The longest any task held its inputs for it.
  uint64_t bytes = 0;          ///< State stored.
  std::string reason;          ///< Why it was abandoned.
  bool final = false;          ///< Taken once every task had finished (the job's end).
};

/// One job's run recorded in a state directory.
struct run_info {
  std::string job;
  bool finished = false;
  int64_t started_ms = 0;
  int64_t ended_ms = 0;
};

/// The runs and checkpoints in `state_dir`, oldest first. Opens the LevelDB
/// read-only in spirit (it never creates one): errc::io if the directory
/// holds none or another process (a running job) has it open.
expected<std::pair<std::vector<run_info>, std::vector<checkpoint_info>>>
list_checkpoints(const std::string& state_dir);

/// The outcome of reading every blob of one retained checkpoint back.
struct checkpoint_check {
  std::string job;
  uint64_t id = 0;
  uint64_t blobs = 0;
  uint64_t bytes = 0;
  error problem; ///< Empty when every blob reads back and matches its manifest.
};

/// Reads every blob of every retained checkpoint in `state_dir` and checks
/// it against its manifest (size, hash) and LevelDB's checksums.
expected<std::vector<checkpoint_check>> verify_checkpoints(const std::string& state_dir);

} // namespace weir
