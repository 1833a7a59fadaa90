#pragma once

/// \file
/// Kafka: a replayable source and an exactly-once sink.
/// Target `weir::kafka` (library weir_kafka, links librdkafka); the core
/// library links no Kafka client. Tested against librdkafka's mock cluster
/// (Debian packages no Kafka broker): see the README's Connectors section
/// for what that does and does not prove.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "weir/codec.hpp"
#include "weir/functions.hpp"

namespace weir {

/// Where the Kafka cluster is, and how long to wait for it.
struct kafka_cluster {
  /// "host:port,host:port": librdkafka's bootstrap.servers.
  std::string bootstrap_servers = "127.0.0.1:9092";
  /// One metadata or offsets request waits at most this long.
  uint32_t timeout_ms = 5000;
  /// While every broker is away librdkafka reconnects with backoff (100 ms
  /// up to 10 s); after this long without one the subtask fails, naming the
  /// brokers, and the job restarts from its latest checkpoint.
  uint32_t reconnect_timeout_ms = 30000;
  /// Further librdkafka properties (security.protocol, sasl.*, ssl.*, ...),
  /// set after Weir's own, so they win. An unknown one is refused by name.
  std::map<std::string, std::string> properties;
};

/// One message read from a partition.
struct kafka_record {
  std::string topic;      ///< The topic it was read from.
  int32_t partition = 0;  ///< The partition it was read from.
  int64_t offset = 0;     ///< Its offset in the partition.
  int64_t timestamp = 0; ///< The message's timestamp, milliseconds since the epoch.
  std::string key;       ///< Empty when the message has none.
  std::string value;     ///< The message's payload.

  /// Every field equal.
  bool operator==(const kafka_record& o) const {
    return topic == o.topic && partition == o.partition && offset == o.offset
           && timestamp == o.timestamp && key == o.key && value == o.value;
  }
};

/// kafka_record: its fields in declaration order, each with its codec.
template <> struct codec<kafka_record> {
  /// "kafka_record".
  static std::string type_name() { return "kafka_record"; }
  /// Writes the fields in declaration order.
  static void encode(const kafka_record& r, byte_writer& out) {
    codec<std::string>::encode(r.topic, out);
    codec<int32_t>::encode(r.partition, out);
    codec<int64_t>::encode(r.offset, out);
    codec<int64_t>::encode(r.timestamp, out);
    codec<std::string>::encode(r.key, out);
    codec<std::string>::encode(r.value, out);
  }
  /// Reads what encode wrote.
  static kafka_record decode(byte_reader& in) {
    kafka_record r;
    r.topic = codec<std::string>::decode(in);
    r.partition = codec<int32_t>::decode(in);
    r.offset = codec<int64_t>::decode(in);
    r.timestamp = codec<int64_t>::decode(in);
    r.key = codec<std::string>::decode(in);
    r.value = codec<std::string>::decode(in);
    return r;
  }
  /// As decode, assigned to `out`.
  static void decode_into(byte_reader& in, kafka_record& out) { out = decode(in); }
};

/// One message to write.
struct kafka_message {
  std::string key; ///< Empty: no key.
  std::string value; ///< The message's payload.
  /// The partition; -1 lets librdkafka choose (by a hash of the key, or
  /// spread over partitions when there is no key).
  int32_t partition = -1;

  /// Every field equal.
  bool operator==(const kafka_message& o) const {
    return key == o.key && value == o.value && partition == o.partition;
  }
};

/// kafka_message: its fields in declaration order, each with its codec.
template <> struct codec<kafka_message> {
  /// "kafka_message".
  static std::string type_name() { return "kafka_message"; }
  /// Writes the fields in declaration order.
  static void encode(const kafka_message& m, byte_writer& out) {
    codec<std::string>::encode(m.key, out);
    codec<std::string>::encode(m.value, out);
    codec<int32_t>::encode(m.partition, out);
  }
  /// Reads what encode wrote.
  static kafka_message decode(byte_reader& in) {
    kafka_message m;
    m.key = codec<std::string>::decode(in);
    m.value = codec<std::string>::decode(in);
    m.partition = codec<int32_t>::decode(in);
    return m;
  }
  /// As decode, assigned to `out`.
  static void decode_into(byte_reader& in, kafka_message& out) { out = decode(in); }
};

/// Where a source starts in partitions its checkpoint holds no offset for.
enum class kafka_start {
  earliest, ///< The oldest message each partition still has.
  latest,   ///< After the last message each partition had when the subtask opened.
};

/// What kafka_source reads, and from where.
struct kafka_source_options {
  kafka_cluster cluster; ///< The cluster holding the topics.
  /// The topics to read, all of their partitions: the (topic, partition)
  /// pairs, sorted, are dealt out so that pair i is read by subtask
  /// i % parallelism.
  std::vector<std::string> topics;
  /// Where partitions the checkpoint holds no offset for start.
  kafka_start start = kafka_start::earliest;
  /// Stop once every partition of the subtask has been read up to the end
  /// it had when the subtask opened (a topic reprocessed as a bounded
  /// input). Otherwise the source is idle while its partitions have nothing
  /// new, and reads on when a message arrives.
  bool stop_at_end = false;
  /// Read only committed transactional messages (isolation.level
  /// read_committed). False reads aborted and open transactions' too.
  bool read_committed = true;
};

/// Reads messages of Kafka topics with partitions assigned by Weir (no
/// consumer group rebalancing; offsets are not committed to Kafka). Its
/// checkpoint position is the next offset per partition, so a restore reads
/// every later message again and none before: with checkpoints each message
/// affects state exactly once. Records carry the message's timestamp as
/// their event time. Rescalable: positions are per partition. Polls never
/// block: at most the runtime's batch per poll. Errors: no topic, an empty
/// topic name or no bootstrap servers throw std::invalid_argument here; a
/// topic the cluster does not have, an unknown librdkafka property, or no
/// broker reachable within cluster.reconnect_timeout_ms fail the subtask,
/// naming the brokers and what failed.
source_factory<kafka_record> kafka_source(kafka_source_options options);

/// Where kafka_sink writes, and how.
struct kafka_sink_options {
  kafka_cluster cluster; ///< The cluster holding the topic.
  /// The topic messages are written to (it must exist).
  std::string topic;
  /// Subtask i of sink uid U writes with transactional.id
  /// "PREFIX-U-i". Two jobs writing with the same uid must have different
  /// prefixes, or each fences the other's producer.
  std::string transactional_id_prefix = "weir";
  /// At most this many bytes of messages are held for one checkpoint
  /// interval (see kafka_sink); more fails the subtask with an error saying
  /// to checkpoint more often or raise the limit.
  size_t max_interval_bytes = size_t{64} << 20;
};

/// Writes each record to a Kafka topic, exactly once: a two-phase-commit
/// sink. The messages of a checkpoint interval are held by the subtask and
/// stored in the checkpoint with it (pre-commit); once the checkpoint
/// completes they are produced in one Kafka transaction and committed
/// (commit), so a read_committed consumer sees all of an interval's
/// messages or none. Each message carries a header `weir-id`
/// (uid/subtask/attempt/transaction/sequence). A commit that may have run
/// before (the first commits after a restore, or a retry after an aborted
/// transaction) first reads the topic from where the transaction could have
/// started, read_committed, and produces only the messages not there yet:
/// so a crash between a checkpoint's completion and its commit neither loses
/// nor doubles a message. Memory: an interval's messages, at most
/// max_interval_bytes, in the subtask; the encoded intervals whose
/// checkpoints have not completed yet are held by the runtime besides (one
/// or two, with checkpoints in turn). Errors: an empty topic or no bootstrap servers throw
/// std::invalid_argument here; a topic the cluster does not have, a fenced
/// producer (another writer with the same transactional.id), or no broker
/// within cluster.reconnect_timeout_ms fail the subtask naming the brokers.
sink_factory<kafka_message> kafka_sink(kafka_sink_options options);

} // namespace weir
