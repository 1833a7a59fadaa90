#pragma once

// How operators store keyed state in snapshots: a State's declared fields,
// key hashing for composite keys, and writing and reading the key groups an
// operator subtask owns. Runtime SPI.

#include <algorithm>
#include <optional>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "weir/codec.hpp"
#include "weir/detail/flat_map.hpp"
#include "weir/detail/operator.hpp"
#include "weir/detail/snapshot.hpp"
#include "weir/key_group.hpp"
#include "weir/state.hpp"

namespace weir::detail {

/// Hashes keys with Weir's stable key hash, so pairs, tuples and strings
/// work as keys of the per-key-group maps (std::hash has no pair).
template <class K>
struct key_hasher {
  size_t operator()(const K& key) const { return static_cast<size_t>(key_hash(key)); }
};

/// A map from key to V for one key group (flat: a snapshot walks it in order).
template <class K, class V>
using key_map = flat_map<K, V, key_hasher<K>>;

/// Detects `void fields(weir::state_fields&)` on a State.
template <class S, class = void>
struct has_fields : std::false_type {};
template <class S>
struct has_fields<S, std::void_t<decltype(std::declval<S&>().fields(std::declval<state_fields&>()))>>
  : std::true_type {};

/// How a keyed process function's State is stored: its declared fields, an
/// empty struct (no fields), or a type with a codec (one field "value").
template <class State>
struct state_traits {
  static constexpr bool declared = has_fields<State>::value;
  static constexpr bool empty = !declared && std::is_empty_v<State>;
  static constexpr bool plain = !declared && !empty && has_codec_v<State>;
  static constexpr bool storable = declared || empty || plain;

  static std::vector<std::pair<std::string, std::string>> schema() {
    std::vector<std::pair<std::string, std::string>> out;
    if constexpr (declared) {
      State probe{};
      state_fields f(out);
      probe.fields(f);
    } else if constexpr (plain) {
      out.emplace_back("value", type_name_of<State>());
    }
    return out;
  }

  /// A default State's fields, encoded in order: what a field added to the
  /// State starts as when older state is restored.
  static std::string default_fields() {
    std::string out;
    byte_writer w(out);
    State probe{};
    encode(probe, w);
    return out;
  }

  static void encode(const State& s, byte_writer& w) {
    if constexpr (declared) {
      state_fields f(w);
      const_cast<State&>(s).fields(f); // the encode mode only reads the members
    } else if constexpr (plain) {
      codec<State>::encode(s, w);
    }
  }

  static void decode(State& s, byte_reader& r) {
    if constexpr (declared) {
      state_fields f(r);
      s.fields(f);
    } else if constexpr (plain) {
      s = codec<State>::decode(r);
    }
  }
};

/// The name of a subtask's key group in errors: "count[1/4] key group 7".
inline std::string key_group_name(const subtask_info& info, uint32_t kg) {
  return info.name() + " key group " + std::to_string(kg);
}

/// Writes an operator's keyed state: for each key group the subtask owns,
/// write_entries(index, entry_table&) fills its entries and
/// write_timers(index, entry_table&) its timers (index counts from the first
/// key group owned). Empty key groups are not written.
template <class WriteEntries, class WriteTimers>
void snapshot_key_groups(const subtask_info& info, const state_schema& schema, operator_snapshot& out,
                         WriteEntries&& write_entries, WriteTimers&& write_timers) {
  // Reused across key groups and checkpoints: on a VM, fresh memory costs a
  // page fault per page, more than encoding the state into it.
  thread_local key_group_state kg;
  for (uint32_t i = 0; i < info.key_groups.size(); ++i) {
    kg.entries.clear();
    kg.timers.clear();
    kg.key_group = info.key_groups.first + i;
    write_entries(i, kg.entries);
    write_timers(i, kg.timers);
    if (kg.entries.empty() && kg.timers.empty()) continue;
    out.key_groups.emplace_back(kg.key_group, encode_key_group(schema, kg));
  }
}

/// Reads the key groups of `in` back: read_entry(index, byte_reader&) per
/// entry and read_timer(byte_reader&) per timer. A key group this subtask
/// does not own, a corrupt blob or another schema throw state_error; with
/// `evolve`, entries of another field list are rewritten into this schema's
/// (decode_key_group), `defaults` giving added fields their start.
template <class ReadEntry, class ReadTimer>
void restore_key_groups(const subtask_info& info, const state_schema& schema, const operator_snapshot& in,
                        ReadEntry&& read_entry, ReadTimer&& read_timer, std::string_view defaults = {},
                        bool evolve = false) {
  for (const auto& [kg, blob] : in.key_groups) {
    auto what = key_group_name(info, kg);
    if (!info.key_groups.contains(kg))
      throw state_error(errc::incompatible_state, what + " is not owned by this subtask");
    auto state = decode_key_group(blob, kg, schema, what, defaults, evolve);
    if (!state) throw state_error(state.error_value());
    uint32_t index = kg - info.key_groups.first;
    state->entries.for_each(what, [&](byte_reader& r) { read_entry(index, r); });
    state->timers.for_each(what + " timers", [&](byte_reader& r) { read_timer(r); });
  }
}

/// The key group index (from the first owned) of `key`.
template <class K>
uint32_t key_group_index(const subtask_info& info, const K& key) {
  return key_group_for_hash(key_hash(key), info.max_parallelism) - info.key_groups.first;
}

/// Restoring at another parallelism: every old subtask's own state (old
/// subtask, state), decoded; corrupt bytes throw state_error.
inline std::vector<std::pair<uint32_t, operator_state>> rescaled_operator_states(const subtask_info& info,
                                                                                const operator_snapshot& in) {
  std::vector<std::pair<uint32_t, operator_state>> out;
  for (const auto& [subtask, blob] : in.rescaled) {
    auto st = decode_operator_state(blob, info.name() + " operator state of subtask " + std::to_string(subtask)
                                            + " of " + std::to_string(in.rescaled_from));
    if (!st) throw state_error(st.error_value());
    out.emplace_back(subtask, std::move(*st));
  }
  return out;
}

/// This subtask's own state from `in`, if it has any; corrupt bytes throw
/// state_error. Restoring at another parallelism, the old subtasks' states
/// merge: event time is the lowest of theirs (no record is taken for late
/// that an old subtask would have taken), counts are summed over the old
/// subtasks i this one continues (i % parallelism == index), and the
/// operator's own data is left out: a part that keeps some (a source, a
/// sink) reads in.rescaled itself.
inline std::optional<operator_state> restored_operator_state(const subtask_info& info,
                                                            const operator_snapshot& in) {
  if (!in.rescaled.empty()) {
    operator_state merged{INT64_MAX, 0, {}};
    for (const auto& [subtask, st] : rescaled_operator_states(info, in)) {
      merged.watermark = std::min(merged.watermark, st.watermark);
      if (subtask % info.parallelism == info.index) merged.records += st.records;
    }
    return merged;
  }
  if (in.operator_state.empty()) return std::nullopt;
  auto st = decode_operator_state(in.operator_state, info.name() + " operator state");
  if (!st) throw state_error(st.error_value());
  return std::move(*st);
}

/// Restores an operator's event time and late-record count from its own
/// state, when it has one.
inline void restore_event_time(const subtask_info& info, const operator_snapshot& in, int64_t& watermark,
                               uint64_t& late) {
  if (auto st = restored_operator_state(info, in)) {
    watermark = st->watermark;
    late = st->records;
  }
}

} // namespace weir::detail
