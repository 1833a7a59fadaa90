// The Redis Streams sink: entries staged in a hash per transaction, moved
// into the stream by one Lua script when their checkpoint completes.

#include <hiredis/hiredis.h>

#include <random>
#include <stdexcept>

#include "redis_connection.hpp"
#include "weir/redis.hpp"

namespace weir {

namespace {

// Moves a staging hash (fields: zero-padded sequence numbers; values:
// msgpack arrays field, value, ...) into the stream in sequence order and
// deletes it. Atomic, as every script is; a second run finds no hash.
const char* commit_script = R"lua(
local h = redis.call('HGETALL', KEYS[1])
if #h == 0 then return 0 end
local order = {}
for i = 1, #h, 2 do order[#order + 1] = i end
table.sort(order, function(a, b) return h[a] < h[b] end)
for _, i in ipairs(order) do
  redis.call('XADD', KEYS[2], '*', unpack(cmsgpack.unpack(h[i + 1])))
end
redis.call('DEL', KEYS[1])
return #order
)lua";

void put_u32(std::string& out, uint8_t tag, size_t n) {
  out += static_cast<char>(tag);
  for (int shift = 24; shift >= 0; shift -= 8)
    out += static_cast<char>((n >> shift) & 0xff);
}

/// The fields as a msgpack array of strings (str32: binary-safe for Lua).
std::string msgpack_fields(const redis_fields& fields) {
  std::string out;
  put_u32(out, 0xdd, fields.size() * 2);
  for (const auto& [k, v] : fields) {
    put_u32(out, 0xdb, k.size());
    out += k;
    put_u32(out, 0xdb, v.size());
    out += v;
  }
  return out;
}

std::string padded(uint64_t n) {
  auto s = std::to_string(n);
  return std::string(s.size() < 20 ? 20 - s.size() : 0, '0') + s;
}

class stream_sink final : public sink_function<redis_fields> {
public:
  explicit stream_sink(redis_stream_sink_options o) : options_(std::move(o)) {}

  void open(const subtask_info& info) override {
    conn_ =
        std::make_unique<redis::connection>(options_.server, "redis sink '" + info.name() + "'");
    prefix_ = options_.stream + ":weir-staging:" + info.uid + ":";
    index_ = info.index;
    // Each opening gets its own epoch: staging names never repeat across attempts.
    epoch_ = std::to_string(std::random_device{}()) + std::to_string(std::random_device{}());
  }

  void write(const redis_fields& value) override {
    if (value.empty())
      throw std::runtime_error("redis sink: a record with no fields (XADD needs one)");
    pending_.push_back(msgpack_fields(value));
    if (pending_.size() >= max_pending) stage();
  }

  bool transactional() const override { return true; }

  std::string pre_commit() override {
    stage();
    if (staged_ == 0) return {};
    auto txn = staging_key(number_);
    ++number_;
    staged_ = 0;
    return txn;
  }

  void commit(const std::string& txn) override {
    if (txn.rfind(options_.stream + ":weir-staging:", 0) != 0)
      throw std::runtime_error("redis sink: transaction '" + txn + "' is not one of stream '"
                               + options_.stream + "'");
    conn_->run({"EVAL", commit_script, "2", txn, options_.stream});
  }

  // A restore calls this after open(); a fresh start or a restart before
  // any checkpoint completed does not, and then stage() discards instead.
  void recover(const std::vector<std::string>& pre_committed) override {
    discarded_ = true;
    for (const auto& txn : pre_committed)
      commit(txn);
    for (const auto& txn : rescaled_txns_)
      commit(txn);
    rescaled_txns_.clear();
    for (uint32_t old : old_indexes_.empty() ? std::vector<uint32_t>{index_} : old_indexes_)
      discard_orphans(old);
  }

  bool read_rescaled_state(const subtask_info& now, const std::vector<old_subtask>& old) override {
    // Old subtask i is recovered by new subtask i % parallelism: its
    // transactions committed, its other staging hashes deleted.
    for (const auto& o : old) {
      if (o.index % now.parallelism != now.index) continue;
      old_indexes_.push_back(o.index);
      for (const auto& txn : o.pre_committed)
        rescaled_txns_.push_back(txn);
    }
    return true;
  }

  void end_of_input() override { stage(); }

private:
  static constexpr size_t max_pending = 256;

  std::string staging_key(uint64_t n) const {
    return prefix_ + std::to_string(index_) + ":" + epoch_ + ":" + std::to_string(n);
  }

  /// HSETs the pending entries into this transaction's hash by sequence
  /// number: repeated after a lost connection, it sets the same fields again.
  void stage() {
    if (!discarded_) {
      discarded_ = true;
      discard_orphans(index_); // nothing committed yet: every staging hash of this subtask is stale
    }
    if (pending_.empty()) return;
    std::vector<std::string> argv{"HSET", staging_key(number_)};
    for (auto& e : pending_) {
      argv.push_back(padded(sequence_++));
      argv.push_back(std::move(e));
    }
    pending_.clear();
    conn_->run(argv);
    staged_ += (argv.size() - 2) / 2;
  }

  /// Deletes staging hashes of old subtask `old` that no completed
  /// checkpoint holds (recover committed, and so deleted, those it holds).
  void discard_orphans(uint32_t old) {
    std::string cursor = "0";
    do {
      auto r = conn_->run(
          {"SCAN", cursor, "MATCH", prefix_ + std::to_string(old) + ":*", "COUNT", "1000"});
      cursor = std::string(r->element[0]->str, r->element[0]->len);
      const auto* keys = r->element[1];
      for (size_t i = 0; i < keys->elements; ++i) {
        std::string key(keys->element[i]->str, keys->element[i]->len);
        conn_->run({"DEL", key});
      }
    } while (cursor != "0");
  }

  redis_stream_sink_options options_;
  std::unique_ptr<redis::connection> conn_;
  std::string prefix_;
  uint32_t index_ = 0;
  std::string epoch_;
  std::vector<std::string> pending_; // at most max_pending
  uint64_t staged_ = 0;              // entries staged in the current transaction
  uint64_t number_ = 0;              // the current transaction's number
  uint64_t sequence_ = 0;            // entries staged by this subtask so far
  bool discarded_ = false; // the stale staging hashes of earlier attempts are gone
  std::vector<uint32_t> old_indexes_;
  std::vector<std::string> rescaled_txns_;
};

} // namespace

sink_factory<redis_fields> redis_stream_sink(redis_stream_sink_options options) {
  if (options.stream.empty()) throw std::invalid_argument("redis_stream_sink: no stream given");
  if (options.server.host.empty() || options.server.port == 0)
    throw std::invalid_argument("redis_stream_sink: no server host or port");
  return [options] { return std::make_unique<stream_sink>(options); };
}

} // namespace weir
