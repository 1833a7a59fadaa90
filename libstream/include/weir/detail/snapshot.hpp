#pragma once

// Snapshots of operator state, as operators write and read them: plain byte
// blobs, free of Cap'n Proto. The blobs are Cap'n Proto messages
// (schemas/state.capnp) built and checked by libstream/src/snapshot_codec.cpp,
// the one adapter for snapshot bytes. Runtime SPI.

#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "weir/codec.hpp"
#include "weir/detail/byte_buffer.hpp"
#include "weir/error.hpp"
#include "weir/version.hpp"

namespace weir::detail {

/// The version of the snapshot formats this build writes and reads.
constexpr uint32_t snapshot_format_version = weir::snapshot_format_version;

/// Thrown while restoring state that cannot be used: the task reports it as
/// an error of `code` (errc::corrupt_state or errc::incompatible_state).
class state_error : public std::runtime_error {
public:
  state_error(errc code, const std::string& what) : std::runtime_error(what), code_(code) {}
  explicit state_error(const error& err) : state_error(err.code(), err.message()) {}
  errc code() const noexcept { return code_; }

private:
  errc code_;
};

/// What an operator keeps per key, named and typed so that a checkpoint can
/// be read without the job's code, and an incompatible job is detected
/// before it restores.
struct state_schema {
  std::string kind;     ///< "reduce", "keyed_process", "window", "window_join", "interval_join".
  std::string key_type; ///< type_name_of<K>().
  std::vector<std::pair<std::string, std::string>> fields; ///< Each entry's value: name, type.
  std::string timer_type; ///< A timer entry's type; empty if the operator keeps no timers.

  bool operator==(const state_schema& o) const {
    return kind == o.kind && key_type == o.key_type && fields == o.fields && timer_type == o.timer_type;
  }
};

/// Encoded entries of one kind: entry i is bytes [offsets[i], offsets[i + 1]).
class entry_table {
public:
  /// Appends one entry: write(byte_writer&) encodes it (inline appends:
  /// encoding a million keys is a snapshot's hot loop).
  template <class Write>
  void add(Write&& write) {
    byte_writer w(payload_);
    write(w);
    offsets_.push_back(static_cast<uint32_t>(payload_.size()));
  }
  size_t size() const noexcept { return offsets_.size() - 1; }
  /// Empties the table, keeping its memory for the next key group.
  void clear() noexcept {
    payload_.clear();
    offsets_.resize(1);
  }
  bool empty() const noexcept { return size() == 0; }
  std::string_view entry(size_t i) const noexcept {
    return payload().substr(offsets_[i], offsets_[i + 1] - offsets_[i]);
  }
  std::string_view payload() const noexcept { return {payload_.data(), payload_.size()}; }
  const std::vector<uint32_t>& offsets() const noexcept { return offsets_; }
  /// Adopts decoded bytes; `offsets` were checked (first 0, ascending, last == payload size).
  void assign(std::string_view payload, std::vector<uint32_t> offsets) {
    payload_.clear();
    payload_.append(payload.data(), payload.size());
    offsets_ = std::move(offsets);
  }

  /// Decodes every entry with read(byte_reader&), which must consume it
  /// exactly; throws state_error (corrupt_state) naming `what` and the entry otherwise.
  template <class Read>
  void for_each(const std::string& what, Read&& read) const {
    for (size_t i = 0; i < size(); ++i) {
      byte_reader in(entry(i));
      read(in);
      if (!in.ok() || !in.at_end())
        throw state_error(errc::corrupt_state,
                          what + ": entry " + std::to_string(i) + " does not decode as its schema says");
    }
  }

private:
  byte_buffer payload_;
  std::vector<uint32_t> offsets_{0};
};

/// One key group of an operator's keyed state.
struct key_group_state {
  uint32_t key_group = 0;
  entry_table entries; ///< One per key: the key, then its fields.
  entry_table timers;  ///< One per timer, as state_schema::timer_type says.
};

/// What an operator subtask keeps for itself (not per key).
struct operator_state {
  int64_t watermark = INT64_MIN; ///< The operator's event time.
  uint64_t records = 0;          ///< Records emitted (a source) or written (a sink) so far.
  std::string data;              ///< The operator's own: a source position, sink transactions.
};

/// One operator subtask's snapshot: encoded blobs, as stored. A restore hands
/// a subtask the same, holding the key groups it owns.
struct operator_snapshot {
  /// The checkpoint being taken (0 for the snapshot a task takes when it
  /// finishes); not stored, it tells sinks which checkpoint a transaction
  /// belongs to.
  uint64_t checkpoint = 0;
  std::string uid;
  uint32_t subtask = 0;
  uint32_t parallelism = 1;
  std::string operator_state; ///< An encoded operator_state, or empty.
  std::vector<std::pair<uint32_t, std::string>> key_groups; ///< key group, encoded key_group_state
  /// Restoring at another parallelism than the snapshot's (`rescaled_from`):
  /// every old subtask's encoded operator_state (old subtask, blob), for the
  /// part to take what it continues; operator_state is then empty.
  std::vector<std::pair<uint32_t, std::string>> rescaled;
  uint32_t rescaled_from = 0;
  /// An operator's broadcast state (an encoded key group of kind
  /// "broadcast"), the same on every subtask: subtask 0 writes it, stored
  /// once per operator; a restore hands it to every subtask, at any
  /// parallelism. Empty when the operator keeps none.
  std::string broadcast_state;
};

/// A task's snapshot for one checkpoint, as it travels to the supervisor.
struct task_snapshot {
  uint64_t checkpoint = 0;
  uint32_t task = 0;
  bool finished = false; ///< Taken after the task finished: it will do nothing more.
  std::vector<operator_snapshot> operators;
};

std::string encode_key_group(const state_schema& schema, const key_group_state& kg);
/// Decodes a key group blob with the schema it carries (for readers without
/// the job's code); corrupt bytes are errc::corrupt_state naming `what`.
expected<std::pair<state_schema, key_group_state>> decode_key_group_as_stored(std::string_view bytes,
                                                                               const std::string& what);
/// Checks the format version, that the blob is key group `key_group`, and
/// that its schema equals `expected` (else errc::incompatible_state naming
/// the difference); corrupt bytes are errc::corrupt_state. `what` names the
/// blob in errors ("count key group 7").
///
/// Evolution: given `defaults` (each of the expected fields of a default
/// State, encoded in order), entries stored with another field list of the
/// same kind, key and timers are rewritten into the expected one: fields
/// are matched by name, a field the job added gets its default (empty), one
/// it dropped is left out. A field whose type changed is refused
/// (errc::incompatible_state naming it), as is a stored field type only the
/// job's code can read (a custom codec's), since it cannot be skipped.
expected<key_group_state> decode_key_group(std::string_view bytes, uint32_t key_group,
                                           const state_schema& expected, const std::string& what,
                                           std::string_view defaults = {}, bool evolve = false);
/// The schema a key group blob says it holds (for tools that read state
/// without the job).
expected<state_schema> key_group_schema(std::string_view bytes, const std::string& what);

std::string encode_operator_state(const operator_state& state);
expected<operator_state> decode_operator_state(std::string_view bytes, const std::string& what);

std::vector<char> encode_task_snapshot(const task_snapshot& snapshot);
/// The same split into messages of about `chunk_bytes` of state each (the
/// last says `finished`; an operator's key groups may span several), so no
/// single huge buffer is built, copied or sent. Blobs never split.
std::vector<std::vector<char>> encode_task_snapshot_chunks(task_snapshot snapshot,
                                                           size_t chunk_bytes = 4u << 20);
expected<task_snapshot> decode_task_snapshot(std::string_view bytes);

/// What a blob of a task snapshot holds.
enum class blob_kind : uint8_t {
  operator_state, ///< The subtask's own (operator_snapshot::operator_state).
  key_group,      ///< One key group of keyed state.
  broadcast,      ///< The operator's broadcast state (one per operator).
};

/// Called for each blob of a task snapshot: the operator's uid and subtask,
/// what the blob is, its key group (key_group blobs only), and a view of
/// the blob, valid during the call.
using blob_visitor = std::function<void(const std::string& uid, uint32_t subtask, blob_kind kind,
                                        uint32_t key_group, std::string_view blob)>;
/// Reads a task snapshot without copying its blobs (the store writes them as
/// they are); sets `finished`. Corrupt bytes are errc::corrupt_state.
error visit_task_snapshot(std::string_view bytes, bool& finished, const blob_visitor& visit);

} // namespace weir::detail
