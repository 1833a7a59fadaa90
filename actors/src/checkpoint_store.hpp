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

namespace weir::runtime {

/// A stored blob as a manifest lists it.
struct blob_ref {
  std::string key; ///< Under the checkpoint: "state/<uid>/<kg>", "op/<uid>/<subtask>", "finished/<uid>/<subtask>".
  uint64_t size = 0;
  uint64_t hash = 0;
};

struct checkpoint_manifest {
  checkpoint_summary summary;
  std::string job;
  uint32_t max_parallelism = 0;
  std::vector<std::pair<std::string, uint32_t>> operators; ///< uid, parallelism
  std::vector<blob_ref> blobs;
};

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
  expected<checkpoint_manifest> manifest(uint64_t id);
  /// Every task's state in checkpoint `id` for `plan` (an encoded
  /// detail::task_snapshot per task), each blob checked against the manifest.
  expected<std::vector<std::vector<char>>> load(uint64_t id, const detail::job_graph& graph,
                                                const detail::physical_plan& plan);
  /// The keyed state blobs of operator `uid` in checkpoint `id` (key group,
  /// an encoded key_group_state), each checked against the manifest; the
  /// operator must be in the checkpoint (errc::bad_argument listing those that are).
  expected<std::vector<std::pair<uint32_t, std::string>>> key_group_blobs(uint64_t id, const std::string& uid);
  /// Reads every blob of checkpoint `id`; an error names the first it cannot use.
  error verify(uint64_t id);
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
  std::string checkpoint_prefix(uint64_t id) const;
  expected<std::string> read_blob(uint64_t id, const blob_ref& ref);
  error delete_prefix(const std::string& prefix, kv_store::batch& b);

  std::unique_ptr<kv_store> kv_;
  std::string job_;
  uint32_t retained_;
  std::map<uint64_t, std::vector<blob_ref>> written_; // blobs of checkpoints in flight
};

/// '/', '%' and control bytes percent-escaped, so a job or uid never splits a key.
std::string escape_key_part(const std::string& s);

} // namespace weir::runtime
