@0xd1e6b6a9c2f04e37;
# Operator state in checkpoints and savepoints: self-describing (names and
# types of what is kept), versioned, one blob per operator and key group.
# Built and checked only by weir::detail's snapshot codec
# (libstream/src/snapshot_codec.cpp).

$import "/capnp/c++.capnp".namespace("weir::schema");

# Encoded entries: entry i is payload[offsets[i] .. offsets[i+1]), offsets
# being count + 1 little-endian UInt32 starting at 0 (as in frame.capnp).
struct Entries {
  offsets @0 :Data;
  payload @1 :Data;
}

struct Field {
  name @0 :Text;
  # A type name as weir::type_name_of gives it: "int64", "string",
  # "list<T>", "value<T>", "map<K,V>", "pair<A,B>", "tuple<...>", ...
  type @1 :Text;
}

# One key group of one operator's keyed state. Each entry is the key
# (keyType) followed by each field in order, encoded with Weir's codecs.
struct KeyGroupState {
  formatVersion @0 :UInt32;
  keyGroup @1 :UInt32;
  kind @2 :Text;
  keyType @3 :Text;
  fields @4 :List(Field);
  entries @5 :Entries;
  timerType @6 :Text;
  timers @7 :Entries;
}

# What an operator subtask keeps for itself.
struct OperatorState {
  formatVersion @0 :UInt32;
  watermark @1 :Int64;
  records @2 :UInt64;
  data @3 :Data;
}

struct OperatorSnapshot {
  uid @0 :Text;
  subtask @1 :UInt32;
  parallelism @2 :UInt32;
  operatorState @3 :Data; # an OperatorState message, or empty
  keyGroups @4 :List(KeyGroupBlob);
  # A restore at another parallelism than the snapshot's: every old
  # subtask's OperatorState (operatorState is then empty).
  rescaled @5 :List(RescaledState);
  rescaledFrom @6 :UInt32; # the snapshot's parallelism
  # The operator's broadcast state, a KeyGroupState of kind "broadcast",
  # the same on every subtask: written by subtask 0, stored once, and
  # handed to every subtask on restore. Empty when it keeps none.
  broadcastState @7 :Data;
}

struct RescaledState {
  subtask @0 :UInt32;
  state @1 :Data; # an OperatorState message
}

struct KeyGroupBlob {
  keyGroup @0 :UInt32;
  state @1 :Data; # a KeyGroupState message
}

# What a task sends the supervisor for a checkpoint (and gets back to restore).
struct TaskSnapshot {
  formatVersion @0 :UInt32;
  checkpoint @1 :UInt64;
  task @2 :UInt32;
  finished @3 :Bool;
  operators @4 :List(OperatorSnapshot);
}
