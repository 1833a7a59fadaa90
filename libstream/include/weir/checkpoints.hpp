#pragma once

/// \file
/// Reading a state directory's checkpoints without running the job:
/// what `weir checkpoints list` and `weir checkpoints verify` print. Defined
/// by the runtime library (weir_actors); link weir::weir.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "weir/error.hpp"

namespace weir {

/// One checkpoint of a job in a state directory: completed (its manifest
/// exists) or abandoned (with why).
struct checkpoint_info {
  std::string job;             ///< The job's name.
  uint64_t id = 0;             ///< The checkpoint's id, rising within a job.
  bool completed = false;      ///< Its manifest was written; false: abandoned.
  bool retained = false;       ///< Still stored (restorable), not only in the history.
  int64_t started_ms = 0;      ///< Wall clock, ms since the epoch.
  uint64_t duration_ms = 0;    ///< From its trigger to the last snapshot stored.
  uint64_t alignment_us = 0;   ///< The longest any task held its inputs for it.
  uint64_t bytes = 0;          ///< State stored.
  std::string reason;          ///< Why it was abandoned.
  bool final = false;          ///< Taken once every task had finished (the job's end).
};

/// One job's run recorded in a state directory.
struct run_info {
  std::string job;         ///< The job's name.
  bool finished = false;   ///< It reached its end; false: stopped or failed, resumable.
  int64_t started_ms = 0;  ///< Wall clock, ms since the epoch, when it started.
  int64_t ended_ms = 0;    ///< Wall clock, ms since the epoch, when its end was recorded.
};

/// The runs and checkpoints in `state_dir`, oldest first. Opens the LevelDB
/// read-only in spirit (it never creates one): errc::io if the directory
/// holds none or another process (a running job) has it open.
expected<std::pair<std::vector<run_info>, std::vector<checkpoint_info>>>
list_checkpoints(const std::string& state_dir);

/// The outcome of reading every blob of one retained checkpoint back.
struct checkpoint_check {
  std::string job;     ///< The job's name.
  uint64_t id = 0;     ///< The checkpoint's id.
  uint64_t blobs = 0;  ///< Blobs its manifest lists (0 if the manifest is unreadable).
  uint64_t bytes = 0;  ///< State stored, per its manifest (0 if unreadable).
  error problem; ///< Empty when every blob reads back and matches its manifest.
};

/// Reads every blob of every retained checkpoint in `state_dir` and checks
/// it against its manifest (size, hash) and LevelDB's checksums.
expected<std::vector<checkpoint_check>> verify_checkpoints(const std::string& state_dir);

/// One version of a savepoint in a state directory.
struct savepoint_info {
  std::string job;         ///< The job's name.
  std::string name;        ///< The savepoint's name.
  uint32_t version = 0;    ///< Its version under that name.
  uint64_t checkpoint = 0; ///< The checkpoint of the run that took it.
  int64_t created_ms = 0;  ///< Wall clock, ms since the epoch.
  uint64_t bytes = 0;      ///< State stored.
};

/// Every savepoint version in `state_dir`, by job, name and version. The
/// job must not be running (errc::io: LevelDB lets one process in).
expected<std::vector<savepoint_info>> list_savepoints(const std::string& state_dir);

/// The self-describing manifest of savepoint `which` ("NAME": its latest
/// version, or "NAME@VERSION") of `job` (empty: the state directory's only
/// job) as a JSON document: format and Weir version, job, the fingerprint it
/// was taken with, creation time, size, max parallelism, and per operator
/// its uid, parallelism, each keyed state's kind, key type and fields (name
/// and type, read from the stored blobs) with its key and timer counts, and
/// each subtask's records and watermark (for a source: its position).
/// Errors name what is missing and list what there is (errc::bad_argument),
/// or the blob that does not read back (errc::corrupt_state).
expected<std::string> inspect_savepoint(const std::string& state_dir, const std::string& job,
                                        const std::string& which);

/// Deletes savepoint `which` ("NAME": every version, or "NAME@VERSION") of
/// `job` (empty: the only job); returns how many versions went. Nothing else
/// is touched.
expected<uint32_t> delete_savepoint(const std::string& state_dir, const std::string& job, const std::string& which);

/// One operator's keyed state in one checkpoint, as `weir state query` asks.
struct state_query {
  std::string job;            ///< Empty: the state directory's only job.
  uint64_t checkpoint = 0;    ///< 0: the latest retained checkpoint.
  std::string savepoint;      ///< "NAME[@VERSION]": read this savepoint instead of a checkpoint.
  std::string operator_uid;   ///< The uid of the operator whose keyed state is read.
  std::optional<std::string> key; ///< Only this key: its JSON, or a string key's text.
};

/// Reads the operator's keyed state from the checkpoint without the job's
/// code, decoded by the types the checkpoint names, and calls `line` with a
/// JSON object per key, in key group order:
///   {"key_group":7,"key":"river","value":3}
/// then, for an operator with broadcast state and no `key` asked for, one
/// per broadcast entry:
///   {"broadcast":true,"key":"rule-1","rules":{...}}
/// (fields by their stored names). A field whose type only the job's code
/// can read (a custom codec's) is {"type":"...","undecoded":"<hex>"}, and the
/// fields after it are left out. Returns the checkpoint read. Errors
/// (errc::bad_argument) name what is not there and list what is: the job,
/// the checkpoint, the operator; a blob that does not read is corrupt_state.
/// The job must not be running (LevelDB lets one process in).
expected<uint64_t> query_state(const std::string& state_dir, const state_query& query,
                               const std::function<void(const std::string&)>& line);

} // namespace weir
