@0xb3f4a1c2d5e60718;
# Frames that travel between task actors, in process or across machines.
# Every frame read from a channel goes through weir::decode_frame (libstream/src/frame_codec.cpp),
# the one decode boundary that applies limits and validates before anything is read.

$import "/capnp/c++.capnp".namespace("weir::schema");

struct Frame {
  # The consumer-side input slot this frame is addressed to.
  channel @0 :UInt32;
  # Per-channel sequence number, starting at 0; a gap or repeat is a protocol error.
  sequence @1 :UInt64;
  union {
    data @2 :Batch;
    # The producer will send nothing more on this channel; implies a final
    # watermark of +infinity.
    endOfInput @3 :Void;
    # Event time: no record with a timestamp <= this will follow on the channel.
    watermark @4 :Int64;
    # The producer has no input for now (it is not merely blocked): leave this
    # channel out of the watermark minimum until its next record or watermark.
    idle @5 :Void;
    # Everything before this frame belongs to checkpoint `barrier.checkpoint`,
    # everything after it to the next one (Chandy-Lamport, aligned).
    barrier @6 :Barrier;
  }
}

struct Barrier {
  # Checkpoint ids increase over a job's life, across restarts.
  checkpoint @0 :UInt64;
  kind @1 :Kind;
  enum Kind {
    checkpoint @0;
    savepoint @1;
  }
}

# A batch of records in columnar form. `offsets` holds count + 1 little-endian
# UInt32 (the first 0): record i's value is payload[offsets[i] .. offsets[i+1]),
# encoded by the record type's codec. `timestamps` holds count little-endian
# Int64 event timestamps, or is empty when the records carry none. Raw blobs
# rather than List(UInt32): after one validation pass every read is a plain
# load, and nothing per record goes through a Cap'n Proto pointer.
struct Batch {
  timestamps @0 :Data;
  offsets @1 :Data;
  payload @2 :Data;
}
