// The Kafka sink's transactions as checkpoint bytes.

#include "kafka_txn.hpp"

#include <stdexcept>

#include "weir/codec.hpp"

namespace weir::kafka {

namespace {
const std::string magic = "weir-kafka-txn/1";
}

std::string transaction::id_prefix() const {
  return uid + "/" + std::to_string(subtask) + "/" + attempt + "/" + std::to_string(number) + "/";
}

std::string encode(const transaction& t) {
  std::string bytes;
  byte_writer out(bytes);
  codec<std::string>::encode(magic, out);
  codec<std::string>::encode(t.uid, out);
  codec<uint32_t>::encode(t.subtask, out);
  codec<std::string>::encode(t.attempt, out);
  codec<uint64_t>::encode(t.number, out);
  out.put_varint(t.floor.size());
  for (const auto& [p, offset] : t.floor) {
    codec<int32_t>::encode(p, out);
    codec<int64_t>::encode(offset, out);
  }
  out.put_varint(t.messages.size());
  for (const auto& m : t.messages) {
    codec<std::string>::encode(m.key, out);
    codec<std::string>::encode(m.value, out);
    codec<int32_t>::encode(m.partition, out);
    codec<int64_t>::encode(m.timestamp, out);
  }
  return bytes;
}

transaction decode_transaction(const std::string& bytes) {
  byte_reader in(bytes);
  auto fail = [&](const std::string& what) {
    throw std::runtime_error("kafka sink: a checkpoint's transaction ("
                             + std::to_string(bytes.size()) + " bytes) is malformed: " + what);
  };
  if (codec<std::string>::decode(in) != magic || !in.ok()) fail("no '" + magic + "' header");
  transaction t;
  t.uid = codec<std::string>::decode(in);
  t.subtask = codec<uint32_t>::decode(in);
  t.attempt = codec<std::string>::decode(in);
  t.number = codec<uint64_t>::decode(in);
  auto partitions = in.get_varint();
  for (uint64_t i = 0; i < partitions && in.ok(); ++i) {
    auto p = codec<int32_t>::decode(in);
    t.floor[p] = codec<int64_t>::decode(in);
  }
  auto count = in.get_varint();
  if (count > in.remaining()) fail("it claims " + std::to_string(count) + " messages");
  t.messages.reserve(static_cast<size_t>(count));
  for (uint64_t i = 0; i < count && in.ok(); ++i) {
    pending_message m;
    m.key = codec<std::string>::decode(in);
    m.value = codec<std::string>::decode(in);
    m.partition = codec<int32_t>::decode(in);
    m.timestamp = codec<int64_t>::decode(in);
    t.messages.push_back(std::move(m));
  }
  if (!in.ok()) fail("it ends early");
  if (!in.at_end()) fail(std::to_string(in.remaining()) + " bytes follow its end");
  return t;
}

} // namespace weir::kafka
