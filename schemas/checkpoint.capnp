@0xa8c3f51b2e7d9046;
# What a state directory records about checkpoints and runs, besides the
# state blobs themselves (state.capnp). Built and read only by the checkpoint
# store (actors/src/checkpoint_store.cpp).

$import "/capnp/c++.capnp".namespace("weir::schema");

struct BlobRef {
  # The key under the checkpoint ("state/<uid>/<key group>",
  # "op/<uid>/<subtask>", "finished/<uid>/<subtask>").
  key @0 :Text;
  size @1 :UInt64;
  hash @2 :UInt64;
}

struct OperatorInfo {
  uid @0 :Text;
  parallelism @1 :UInt32;
}

# Written last, synced: a checkpoint exists only once its manifest does.
struct CheckpointManifest {
  formatVersion @0 :UInt32;
  id @1 :UInt64;
  job @2 :Text;
  startedMs @3 :Int64;
  durationMs @4 :UInt64;
  alignmentUs @5 :UInt64;
  bytes @6 :UInt64;
  final @7 :Bool;
  maxParallelism @8 :UInt32;
  operators @9 :List(OperatorInfo);
  blobs @10 :List(BlobRef);
  # Set in a savepoint's copy of the manifest (under sp/<job>/<name>/<version>/).
  savepoint @11 :SavepointInfo;
}

# What makes a savepoint self-describing beyond its checkpoint's manifest.
struct SavepointInfo {
  name @0 :Text;
  version @1 :UInt32;
  createdMs @2 :Int64;
  # The job's "name = value" fingerprint lines when it was taken.
  fingerprint @3 :Text;
  weirVersion @4 :Text;
  jobVersion @5 :Text; # environment::set_job_version, or empty
}

# One line of `weir checkpoints list`, for completed and abandoned ones.
struct CheckpointHistory {
  id @0 :UInt64;
  completed @1 :Bool;
  startedMs @2 :Int64;
  durationMs @3 :UInt64;
  alignmentUs @4 :UInt64;
  bytes @5 :UInt64;
  reason @6 :Text; # why it was abandoned
  final @7 :Bool;  # taken once every task had finished
}

# The run a state directory belongs to.
struct RunRecord {
  formatVersion @0 :UInt32;
  job @1 :Text;
  # What must match for a resume: one "name = value" per line.
  fingerprint @2 :Text;
  finished @3 :Bool;
  startedMs @4 :Int64;
  endedMs @5 :Int64;
}
