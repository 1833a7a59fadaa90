#pragma once

// What the Kafka sink stores in a checkpoint for one transaction: the
// messages of a checkpoint interval (write-ahead), who wrote them, and per
// partition an offset before which none of them can lie.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace weir::kafka {

struct pending_message {
  std::string key, value;
  int32_t partition = -1;
  int64_t timestamp = -1; // -1: librdkafka stamps the produce time
};

struct transaction {
  std::string uid;
  uint32_t subtask = 0;
  std::string attempt;              // unique per opening of a sink subtask
  uint64_t number = 0;              // per attempt
  std::map<int32_t, int64_t> floor; // partition -> no message of this transaction before it
  std::vector<pending_message> messages;

  /// "uid/subtask/attempt/number/": the weir-id header of message i is this
  /// followed by i.
  std::string id_prefix() const;
};

/// The bytes stored in the checkpoint.
std::string encode(const transaction& t);
/// Throws std::runtime_error naming what is wrong when `bytes` is not a
/// transaction encode() wrote.
transaction decode_transaction(const std::string& bytes);

} // namespace weir::kafka
