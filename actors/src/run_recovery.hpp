#pragma once

// Where a run starts from: opening the job's checkpoint store, and deciding
// whether to resume an earlier run that did not finish. Free of CAF.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "checkpoint_store.hpp"
#include "weir/detail/plan.hpp"
#include "weir/options.hpp"

namespace weir::runtime {

/// A store opened for a run, and what the run starts from.
struct prepared_run {
  std::shared_ptr<checkpoint_store> store;
  run_record record;                 ///< This run's record (already written).
  std::vector<uint64_t> checkpoints; ///< Complete checkpoints to restore, newest last (empty: from the beginning).
  std::vector<uint64_t> skipped;     ///< Complete but unreadable: never to be restored.
  uint64_t next_checkpoint = 1;
  uint64_t resumed_from = 0;         ///< The checkpoint a resume starts from, or 0.
  std::optional<snapshot_ref> savepoint; ///< The savepoint the run starts from (until its first checkpoint).
};

/// What must match for a run to resume another: the job's name, its
/// operators (uid, kind, parallelism), max parallelism and arguments, one
/// "name = value" line each.
std::string run_fingerprint(const detail::job_graph& graph, const detail::physical_plan& plan);

/// What two processes must agree on to run one job together: run_fingerprint
/// without the run's name (a node knows the job by its registry name).
std::string build_fingerprint(const detail::job_graph& graph, const detail::physical_plan& plan);

/// What differs between two fingerprints, in words ("was ...; now ...",
/// with `a_is` and `b_is` in place of "was" and "now").
std::string fingerprint_difference(const std::string& a, const std::string& b, const std::string& a_is = "was",
                                   const std::string& b_is = "now");

/// This build's Weir version.
const char* weir_version();

/// Opens the checkpoint store of `graph` (a LevelDB in options.state_dir, or
/// memory) and decides where the run starts: a resume of an unfinished run
/// with the same fingerprint from its newest usable checkpoint; a fresh start
/// after a finished run or with options.fresh (their checkpoints discarded).
/// Says what it does through `log`. Refuses (errc::incompatible_state) an
/// unfinished run that differs, naming the difference; a state dir another
/// process holds (errc::io, LevelDB's lock); a run none of whose checkpoints
/// can be read (errc::corrupt_state, naming each and why). With
/// options.from_savepoint the run starts from that savepoint instead (see
/// checkpoint_options), checked before anything starts: a savepoint that is
/// not there or does not read back, a stateful operator with a generated
/// uid, or savepoint state the job has no operator for is refused. A LevelDB that
/// cannot be opened is copied aside and repaired, loudly, then verified.
expected<prepared_run> prepare_run(const detail::job_graph& graph, const detail::physical_plan& plan,
                                   const checkpoint_options& options,
                                   const std::function<void(const std::string&)>& log);

} // namespace weir::runtime
