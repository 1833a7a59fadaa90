#pragma once

/// \file
/// Redis Streams: a replayable source and an exactly-once sink.
/// Target `weir::redis` (library weir_redis, links hiredis); the core
/// library links no Redis client.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "weir/codec.hpp"
#include "weir/functions.hpp"

namespace weir {

/// Where a Redis server is, and how long to wait for it.
struct redis_server {
  std::string host = "127.0.0.1"; ///< Host name or address.
  uint16_t port = 6379;           ///< TCP port.
  /// One connect, or one command's answer, waits at most this long.
  uint32_t timeout_ms = 2000;
  /// While the server is away Weir reconnects with backoff (100 ms doubling
  /// to 5 s); after this long without it the subtask fails, naming the
  /// server, and the job restarts from its latest checkpoint.
  uint32_t reconnect_timeout_ms = 30000;

  /// "127.0.0.1:6379".
  std::string address() const { return host + ":" + std::to_string(port); }
};

/// A stream entry's fields, in order: (field, value) pairs. Binary-safe.
using redis_fields = std::vector<std::pair<std::string, std::string>>;

/// One entry read from a stream.
struct redis_entry {
  std::string stream; ///< The stream it was read from.
  std::string id; ///< "1700000000000-0": milliseconds and a sequence number.
  redis_fields fields; ///< Its fields, in order.

  /// The value of `field`, or empty.
  std::string get(const std::string& field) const {
    for (const auto& [k, v] : fields)
      if (k == field) return v;
    return {};
  }
  /// The same stream, id and fields.
  bool operator==(const redis_entry& o) const {
    return stream == o.stream && id == o.id && fields == o.fields;
  }
};

/// redis_entry: its stream, id and fields, each with its codec.
template <> struct codec<redis_entry> {
  /// "redis_entry".
  static std::string type_name() { return "redis_entry"; }
  /// Writes the stream, the id, then the fields.
  static void encode(const redis_entry& e, byte_writer& out) {
    codec<std::string>::encode(e.stream, out);
    codec<std::string>::encode(e.id, out);
    codec<redis_fields>::encode(e.fields, out);
  }
  /// Reads what encode wrote.
  static redis_entry decode(byte_reader& in) {
    redis_entry e;
    e.stream = codec<std::string>::decode(in);
    e.id = codec<std::string>::decode(in);
    e.fields = codec<redis_fields>::decode(in);
    return e;
  }
  /// As decode, assigned to `out`.
  static void decode_into(byte_reader& in, redis_entry& out) { out = decode(in); }
};

/// What redis_stream_source reads, and from where.
struct redis_stream_source_options {
  redis_server server; ///< The server holding the streams.
  /// The streams to read; stream i is read by subtask i % parallelism.
  std::vector<std::string> streams;
  /// Read entries after this id ("0-0": from the start). A restore continues
  /// after the last id the checkpoint recorded instead.
  std::string after_id = "0-0";
  /// Stop once every stream of the subtask has been read to its end (for
  /// reprocessing a stream as a bounded input). Otherwise the source is idle
  /// while a stream has nothing new, and reads on when an entry arrives.
  bool stop_at_end = false;
};

/// Reads entries of Redis streams (XREAD, at most the runtime's batch per
/// poll, never blocking). Its checkpoint position is the last entry id read
/// per stream, so a restore reads every later entry again and none before:
/// with checkpoints each entry affects state exactly once. Records carry the
/// entry id's milliseconds as their timestamp (for event-time jobs that use
/// arrival in Redis as event time). Rescalable: positions are per stream.
/// Errors: no stream, an empty stream name or a malformed after_id throw
/// std::invalid_argument here; a server that cannot be reached within
/// server.reconnect_timeout_ms fails the subtask naming the server.
source_factory<redis_entry> redis_stream_source(redis_stream_source_options options);

/// Where redis_stream_sink writes.
struct redis_stream_sink_options {
  redis_server server; ///< The server holding the stream.
  /// The stream entries are added to (XADD with ids Redis assigns).
  std::string stream;
};

/// Adds each record to a Redis stream, exactly once: a two-phase-commit
/// sink. Between two checkpoints a subtask stages its entries in a hash
/// `STREAM:weir-staging:UID:SUBTASK:EPOCH:N` (idempotent HSETs, by sequence
/// number, so a retried write never doubles an entry); on the barrier the
/// staged writes are flushed (pre-commit); once the checkpoint completes one
/// Lua script moves them into the stream and deletes the hash, atomically
/// (commit: a reader of the stream sees all of a checkpoint's entries or
/// none; a repeated commit finds no hash and adds nothing). A restore commits
/// what the checkpoint pre-committed and deletes the subtask's other staging
/// hashes (output of a failed attempt). Memory: at most 256 entries are held
/// before they are staged. Errors: an empty stream name throws
/// std::invalid_argument here; Redis unreachable beyond
/// server.reconnect_timeout_ms, or refusing a command (say, out of memory),
/// fails the subtask naming the server and the command.
sink_factory<redis_fields> redis_stream_sink(redis_stream_sink_options options);

} // namespace weir
