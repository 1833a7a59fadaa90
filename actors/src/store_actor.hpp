#pragma once

#include <caf/fwd.hpp>

#include <memory>

#include "checkpoint_store.hpp"

namespace weir::runtime {

struct deployment;

/// Spawns the actor that owns a job's checkpoint store, on a thread of its
/// own (detached): LevelDB writes never run on a task's or the supervisor's
/// thread. It answers:
///   (store_atom, id, task, snapshot bytes)   -> uint64_t bytes stored
///   (manifest_atom, checkpoint_summary)      -> (savepoint version, savepoint failure):
///                                               written and synced; a summary naming a
///                                               savepoint is also kept as its next version
///   (abort_atom, id, reason)                 -> bool: kept (its manifest was written)
///   (load_atom, bad ids)                     -> (id, per task state) of the newest complete
///                                               checkpoint that loads; without one, of
///                                               `savepoint` when set (0: none exists)
///   (query_atom, checkpoint, savepoint, uid, key, has_key)
///                                            -> "checkpoint <id>\n" and a JSON line per key
///                                               (weir/checkpoints.hpp's query_state, at most 16 MiB)
///   (finish_atom, bool finished)             -> ack_atom (the run record; then it quits)
/// Failures come back as errors naming the store and checkpoint.
caf::actor spawn_store_actor(caf::actor_system& sys, std::shared_ptr<const deployment> dep,
                             std::shared_ptr<checkpoint_store> store, run_record run,
                             std::optional<snapshot_ref> savepoint = std::nullopt);

} // namespace weir::runtime
