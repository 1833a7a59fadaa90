#pragma once

// Checkpoints of one job in a key-value store (a LevelDB in the state
// directory, or memory): one blob per operator and key group, one per
// operator subtask's own state, and a manifest written last. Free of CAF;
// the store actor runs it on a thread of its own.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "checkpoint_coordinator.hpp"
#include "kv_store.hpp"
#include "weir/detail/plan.hpp"
#include "weir/detail/snapshot.hpp"

namespace weir::runtime {

/// A stored blob as a manifest lists it.
struct blob_ref {
  std::string key; ///< Under the checkpoint: "state/<uid>/<kg>", "op/<uid>/<subtask>", "finished/<uid>/<subtask>",
                   ///< "broadcast/<uid>/0".
  uint64_t size = 0;
  uint64_t hash = 0;
};

/// What a savepoint's manifest adds to its checkpoint's.
struct savepoint_meta {
  std::string name;
  uint32_t version = 0;
  int64_t created_ms = 0;
  std::string fingerprint; ///< The job's run_fingerprint() when it was taken.
  std::string weir_version;
  std::string job_version; ///< environment::set_job_version, or empty.
};

struct checkpoint_manifest {
  checkpoint_summary summary;
  std::string job;
  uint32_t max_parallelism = 0;
  std::vector<std::pair<std::string, uint32_t>> operators; ///< uid, parallelism
  std::vector<blob_ref> blobs;
  std::optional<savepoint_meta> savepoint; ///< Set in a savepoint's copy.
};

/// A stored snapshot: checkpoint `checkpoint`, or version `version` of the
/// savepoint named `savepoint`.
struct snapshot_ref {
  uint64_t checkpoint = 0;
  std::string savepoint;
  uint32_t version = 0;

  snapshot_ref(uint64_t id = 0) : checkpoint(id) {} // NOLINT: a checkpoint id is a snapshot_ref
  snapshot_ref(std::string name, uint32_t v) : savepoint(std::move(name)), version(v) {}
  bool is_savepoint() const noexcept { return !savepoint.empty(); }
  /// "checkpoint 12", "savepoint 'nightly' version 2".
  std::string describe() const;
};

/// A savepoint name: 1-64 of [A-Za-z0-9._-], not starting with '.'; an
/// error (errc::bad_argument) says why `name` is not one.
error check_savepoint_name(const std::string& name);

/// A line of the checkpoint history: completed, or abandoned with a reason.
struct checkpoint_history {
  checkpoint_summary summary;
  bool completed = false;
  std::string reason;
};

/// The run a state directory belongs to.
struct run_record {
  std::string job;
  std::string fingerprint; ///< "name = value" lines that must match for a resume.
  bool finished = false;
  int64_t started_ms = 0;
  int64_t ended_ms = 0;
};

/// One job's checkpoints. Not thread-safe: one owner. Every failure is an
/// error naming the store (state dir), the checkpoint and what failed.
class checkpoint_store {
public:
  checkpoint_store(std::unique_ptr<kv_store> kv, std::string job, uint32_t retained);

  std::string where() const { return kv_->where(); }
  const std::string& job() const noexcept { return job_; }

  // -- writing a checkpoint ---------------------------------------------------

  /// Stores one task's snapshot for checkpoint `id` in one unsynced batch;
  /// returns the bytes stored. `head_uid`/`subtask` name the task.
  expected<uint64_t> write_task(uint64_t id, const std::string& head_uid, uint32_t subtask,
                                const std::vector<char>& snapshot);
  /// Writes the manifest of `summary.id` (listing every blob written for it),
  /// synced, then its history line; then deletes complete checkpoints beyond
  /// the retained count and any abandoned blobs. `operators` and
  /// `max_parallelism` describe the job.
  error commit(const checkpoint_summary& summary, uint32_t max_parallelism,
               const std::vector<std::pair<std::string, uint32_t>>& operators);
  /// Deletes what was written for `id` and records why it was abandoned;
  /// a checkpoint whose manifest is written is complete and kept (returns true).
  expected<bool> abandon(uint64_t id, const std::string& reason);

  // -- reading -----------------------------------------------------------------

  /// Ids of complete checkpoints (with a manifest), ascending.
  expected<std::vector<uint64_t>> complete_ids();
  expected<checkpoint_manifest> manifest(const snapshot_ref& at);
  /// Every task's state in snapshot `at` for `plan` (an encoded
  /// detail::task_snapshot per task), each blob checked against the manifest.
  /// Operators map by uid; one now at another parallelism gets its keyed
  /// state by key group and every old subtask's own state (rescaling, see
  /// operator_snapshot::rescaled). State of an operator the job lacks is
  /// refused (errc::incompatible_state) unless `allow_unmatched` leaves it
  /// out, as is keyed state taken at another max parallelism.
  expected<std::vector<std::vector<char>>> load(const snapshot_ref& at, const detail::job_graph& graph,
                                                const detail::physical_plan& plan, bool allow_unmatched = false);
  /// The keyed state blobs of operator `uid` in snapshot `at` (key group,
  /// an encoded key_group_state), each checked against the manifest; the
  /// operator must be in the snapshot (errc::bad_argument listing those that are).
  expected<std::vector<std::pair<uint32_t, std::string>>> key_group_blobs(const snapshot_ref& at,
                                                                        const std::string& uid);
  /// The operator's broadcast state blob at `at`, if it keeps one.
  expected<std::optional<std::string>> broadcast_blob(const snapshot_ref& at, const std::string& uid);
  /// Reads every blob of snapshot `at`; an error names the first it cannot use.
  error verify(const snapshot_ref& at);
  /// One blob of snapshot `at` as its manifest lists it, checked against it.
  expected<std::string> blob(const snapshot_ref& at, const blob_ref& ref) { return read_blob(at, ref); }

  // -- savepoints ----------------------------------------------------------------

  /// Keeps complete checkpoint `id` as the next version of savepoint
  /// `meta.name` (a copy of its manifest and blobs under the savepoint, so
  /// checkpoint retention never touches it), synced. Returns the version.
  expected<uint32_t> keep_as_savepoint(uint64_t id, savepoint_meta meta);
  /// Every savepoint version of the job: (name, version), by name then version.
  expected<std::vector<std::pair<std::string, uint32_t>>> savepoints();
  /// The newest version of savepoint `name` (errc::bad_argument naming the
  /// savepoints there are when it has none).
  expected<uint32_t> latest_version(const std::string& name);
  /// Savepoint "NAME" (its latest version) or "NAME@VERSION", which must
  /// exist (errc::bad_argument naming what there is).
  expected<snapshot_ref> find_savepoint(const std::string& text);
  /// Deletes version `version` of savepoint `name`, or every version when 0;
  /// returns how many were deleted (errc::bad_argument when none matched).
  expected<uint32_t> delete_savepoint(const std::string& name, uint32_t version);
  expected<std::vector<checkpoint_history>> history();
  /// 1 + the highest checkpoint id ever used here (ids never repeat).
  expected<uint64_t> next_id();
  /// Ids that have blobs but no manifest (never completed, or the manifest
  /// was lost), ascending.
  expected<std::vector<uint64_t>> incomplete_ids();

  // -- runs --------------------------------------------------------------------

  expected<std::optional<run_record>> run();
  error put_run(const run_record& r);
  /// Deletes every checkpoint and history line of the job.
  error discard_checkpoints();
  /// Deletes blobs of checkpoints that never got a manifest.
  error remove_incomplete();

private:
  using blob_index = std::map<std::string, const blob_ref*>;
  error check_mapping(const snapshot_ref& at, const checkpoint_manifest& m, const detail::job_graph& graph,
                      bool allow_unmatched);
  expected<detail::operator_snapshot> load_operator(const snapshot_ref& at, const blob_index& blobs,
                                                    const subtask_info& info, uint32_t stored_parallelism);
  std::string checkpoint_prefix(uint64_t id) const;
  std::string savepoint_prefix(const std::string& name) const;
  std::string prefix_of(const snapshot_ref& at) const;
  expected<std::string> read_blob(const snapshot_ref& at, const blob_ref& ref);
  error delete_prefix(const std::string& prefix, kv_store::batch& b);

  std::unique_ptr<kv_store> kv_;
  std::string job_;
  uint32_t retained_;
  std::map<uint64_t, std::vector<blob_ref>> written_; // blobs of checkpoints in flight
};

/// '/', '%' and control bytes percent-escaped, so a job or uid never splits a key.
std::string escape_key_part(const std::string& s);

} // namespace weir::runtime
