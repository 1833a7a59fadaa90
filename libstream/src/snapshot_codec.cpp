// The one adapter between snapshot bytes and Cap'n Proto: every blob read
// back from a checkpoint passes here, with explicit limits, and a Cap'n Proto
// exception becomes an errc::corrupt_state error naming the blob.

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <kj/exception.h>

#include <cstring>
#include <optional>

#include "weir/detail/snapshot.hpp"
#include "weir/detail/state_json.hpp"
#include "weir/schema/state.capnp.h"

namespace weir::detail {

namespace {

kj::ArrayPtr<const kj::byte> as_bytes(const void* data, size_t size) {
  return kj::arrayPtr(static_cast<const kj::byte*>(data), size);
}

std::string to_string(capnp::MessageBuilder& message) {
  auto words = capnp::messageToFlatArray(message);
  auto bytes = words.asBytes();
  return std::string(reinterpret_cast<const char*>(bytes.begin()), bytes.size());
}

size_t words_for(size_t bytes) {
  return (bytes + 7) / 8 + 1;
}

/// Builds a one-segment message straight into its serialized bytes: the
/// state is copied once, not three times (builder, flat array, string).
/// `bound_words` must cover the message; if it does not, the message is
/// built the ordinary way.
template <class Out, class Build> Out build_flat(size_t bound_words, Build&& build) {
  Out out(8 + bound_words * 8, '\0'); // zeroed, as Cap'n Proto requires of a segment
  size_t used = 0;
  try {
    capnp::FlatMessageBuilder message(
        kj::arrayPtr(reinterpret_cast<capnp::word*>(&out[8]), bound_words));
    build(message);
    used = message.getSegmentsForOutput()[0].size();
  } catch (const kj::Exception&) { // the bound was short: no state is lost, only speed
    capnp::MallocMessageBuilder message;
    build(message);
    auto words = capnp::messageToFlatArray(message);
    auto bytes = words.asBytes();
    return Out(reinterpret_cast<const char*>(bytes.begin()),
               reinterpret_cast<const char*>(bytes.end()));
  }
  uint32_t header[2] = {0, static_cast<uint32_t>(used)};
  std::memcpy(&out[0], header, 8);
  out.resize(8 + used * 8);
  return out;
}

error corrupt(const std::string& what, const std::string& why) {
  return {errc::corrupt_state, what + ": " + why};
}

/// Reads a message from `bytes` (copied only if not word-aligned), applying
/// limits sized to the bytes, and hands its root to `read`.
template <class Root, class Read>
error read_message(std::string_view bytes, const std::string& what, Read&& read) {
  if (bytes.size() % 8 != 0 || bytes.empty())
    return corrupt(what,
                   std::to_string(bytes.size()) + " bytes is not a whole Cap'n Proto message");
  kj::Array<capnp::word> copy;
  auto words = kj::arrayPtr(reinterpret_cast<const capnp::word*>(bytes.data()), bytes.size() / 8);
  if (reinterpret_cast<uintptr_t>(bytes.data()) % 8 != 0) {
    copy = kj::heapArray<capnp::word>(bytes.size() / 8);
    std::memcpy(copy.begin(), bytes.data(), bytes.size());
    words = copy.asPtr();
  }
  try {
    capnp::ReaderOptions options;
    options.traversalLimitInWords = bytes.size() / 8 + 64;
    options.nestingLimit = 16;
    capnp::FlatArrayMessageReader reader(words, options);
    return read(reader.getRoot<Root>());
  } catch (const kj::Exception& ex) {
    return corrupt(what, std::string("Cap'n Proto rejected it: ") + ex.getDescription().cStr());
  }
}

void set_entries(schema::Entries::Builder out, const entry_table& t) {
  out.setOffsets(as_bytes(t.offsets().data(), 4 * t.offsets().size()));
  out.setPayload(as_bytes(t.payload().data(), t.payload().size()));
}

error get_entries(schema::Entries::Reader in, entry_table& t, const std::string& what) {
  auto off = in.getOffsets();
  auto pay = in.getPayload();
  if (off.size() < 4 || off.size() % 4 != 0)
    return corrupt(what, "entry offsets are not a list of UInt32");
  std::vector<uint32_t> offsets(off.size() / 4);
  std::memcpy(offsets.data(), off.begin(), off.size());
  if (offsets.front() != 0) return corrupt(what, "the first entry offset is not 0");
  for (size_t i = 1; i < offsets.size(); ++i)
    if (offsets[i] < offsets[i - 1])
      return corrupt(what, "entry offsets decrease at entry " + std::to_string(i));
  if (offsets.back() != pay.size())
    return corrupt(what, "entry offsets do not end at the payload's end");
  t.assign(std::string_view(reinterpret_cast<const char*>(pay.begin()), pay.size()),
           std::move(offsets));
  return {};
}

state_schema read_schema(schema::KeyGroupState::Reader in) {
  state_schema s;
  s.kind = in.getKind();
  s.key_type = in.getKeyType();
  for (auto f : in.getFields())
    s.fields.emplace_back(f.getName(), f.getType());
  s.timer_type = in.getTimerType();
  return s;
}

std::string describe(const state_schema& s) {
  std::string fields;
  for (const auto& [name, type] : s.fields)
    fields += (fields.empty() ? "" : ", ") + name + ": " + type;
  return s.kind + " keyed by " + s.key_type + " {" + fields + "}"
         + (s.timer_type.empty() ? "" : " with timers " + s.timer_type);
}

/// Whether entries of `stored` may be rewritten into `now`: the same kind,
/// key and timers; the fields may differ (evolve_entries checks them).
bool evolvable(const state_schema& stored, const state_schema& now) {
  return stored.kind == now.kind && stored.key_type == now.key_type && stored.timer_type == now.timer_type;
}

/// The extent of each of `types` in `in`, in order, skipping values by their
/// type names; nothing when one cannot be read without the job's code.
std::optional<std::vector<std::string_view>> split_fields(const std::vector<std::string>& types, byte_reader& in,
                                                          std::string_view bytes) {
  std::vector<std::string_view> out;
  for (const auto& type : types) {
    auto start = bytes.size() - in.remaining();
    if (!json_of(type, in) || !in.ok()) return std::nullopt;
    out.push_back(bytes.substr(start, bytes.size() - in.remaining() - start));
  }
  return out;
}

expected<entry_table> evolve_entries(const state_schema& stored, const state_schema& now, std::string_view defaults,
                                     const entry_table& entries, const std::string& what) {
  // Where each field of the job's State comes from: a stored field, or its default.
  std::vector<int> source(now.fields.size(), -1);
  for (size_t i = 0; i < now.fields.size(); ++i)
    for (size_t j = 0; j < stored.fields.size(); ++j) {
      if (now.fields[i].first != stored.fields[j].first) continue;
      if (now.fields[i].second != stored.fields[j].second)
        return error{errc::incompatible_state,
                     what + ": " + stored.kind + " state field '" + now.fields[i].first + "' was stored as "
                       + stored.fields[j].second + " and the job's State has it as " + now.fields[i].second
                       + ": a field's type cannot change (keep it, or add one under a new name)"};
      source[i] = static_cast<int>(j);
    }
  auto types_of = [](const state_schema& s) {
    std::vector<std::string> out;
    for (const auto& f : s.fields) out.push_back(f.second);
    return out;
  };
  byte_reader dr(defaults);
  auto default_fields = split_fields(types_of(now), dr, defaults);
  if (!default_fields || !dr.at_end())
    return error{errc::incompatible_state, what + ": the job's State (" + describe(now)
                                             + ") has no default the runtime can read, so it cannot evolve from "
                                             + describe(stored)};
  entry_table out;
  auto stored_types = types_of(stored);
  for (size_t e = 0; e < entries.size(); ++e) {
    auto entry = entries.entry(e);
    byte_reader in(entry);
    auto key = split_fields({stored.key_type}, in, entry);
    auto fields = key ? split_fields(stored_types, in, entry) : std::nullopt;
    if (!fields)
      return error{errc::incompatible_state, what + ": the stored " + describe(stored)
                                               + " holds a type only the job's code reads, so it cannot evolve into "
                                               + describe(now)};
    if (!in.at_end()) return corrupt(what, "an entry is longer than its fields");
    out.add([&](byte_writer& w) {
      w.put_raw((*key)[0].data(), (*key)[0].size());
      for (size_t i = 0; i < source.size(); ++i)
        {
          auto f = source[i] >= 0 ? (*fields)[static_cast<size_t>(source[i])] : (*default_fields)[i];
          w.put_raw(f.data(), f.size());
        }
    });
  }
  return out;
}

error check_version(uint32_t version, const std::string& what) {
  if (version == snapshot_format_version) return {};
  return {errc::incompatible_state, what + ": snapshot format version " + std::to_string(version)
                                        + ", this build reads version "
                                        + std::to_string(snapshot_format_version)};
}

} // namespace

std::string encode_key_group(const state_schema& s, const key_group_state& kg) {
  size_t bound =
      64 + words_for(s.kind.size()) + words_for(s.key_type.size()) + words_for(s.timer_type.size())
      + words_for(kg.entries.payload().size()) + words_for(4 * kg.entries.offsets().size())
      + words_for(kg.timers.payload().size()) + words_for(4 * kg.timers.offsets().size());
  for (const auto& [name, type] : s.fields)
    bound += 2 + words_for(name.size()) + words_for(type.size());
  return build_flat<std::string>(bound, [&](capnp::MessageBuilder& message) {
    auto out = message.initRoot<schema::KeyGroupState>();
    out.setFormatVersion(snapshot_format_version);
    out.setKeyGroup(kg.key_group);
    out.setKind(s.kind);
    out.setKeyType(s.key_type);
    auto fields = out.initFields(static_cast<unsigned>(s.fields.size()));
    for (unsigned i = 0; i < s.fields.size(); ++i) {
      fields[i].setName(s.fields[i].first);
      fields[i].setType(s.fields[i].second);
    }
    set_entries(out.initEntries(), kg.entries);
    out.setTimerType(s.timer_type);
    set_entries(out.initTimers(), kg.timers);
  });
}

expected<state_schema> key_group_schema(std::string_view bytes, const std::string& what) {
  state_schema s;
  auto err =
      read_message<schema::KeyGroupState>(bytes, what, [&](schema::KeyGroupState::Reader in) {
        if (auto e = check_version(in.getFormatVersion(), what)) return e;
        s = read_schema(in);
        return error{};
      });
  if (err) return err;
  return s;
}

expected<key_group_state> decode_key_group(std::string_view bytes, uint32_t key_group,
                                           const state_schema& expected_schema,
                                           const std::string& what, std::string_view defaults, bool evolve) {
  key_group_state kg;
  auto err =
      read_message<schema::KeyGroupState>(bytes, what, [&](schema::KeyGroupState::Reader in) {
        if (auto e = check_version(in.getFormatVersion(), what)) return e;
        if (in.getKeyGroup() != key_group)
          return corrupt(what, "holds key group " + std::to_string(in.getKeyGroup()));
        auto stored = read_schema(in);
        bool same = stored == expected_schema;
        if (!same && !(evolve && evolvable(stored, expected_schema)))
          return error{errc::incompatible_state, what + ": the checkpoint holds " + describe(stored)
                                                     + " but the job keeps "
                                                     + describe(expected_schema)};
        kg.key_group = key_group;
        if (auto e = get_entries(in.getEntries(), kg.entries, what + " entries")) return e;
        if (!same) {
          auto evolved = evolve_entries(stored, expected_schema, defaults, kg.entries, what);
          if (!evolved) return evolved.error_value();
          kg.entries = std::move(*evolved);
        }
        return get_entries(in.getTimers(), kg.timers, what + " timers");
      });
  if (err) return err;
  return kg;
}

expected<std::pair<state_schema, key_group_state>> decode_key_group_as_stored(std::string_view bytes,
                                                                               const std::string& what) {
  std::pair<state_schema, key_group_state> out;
  auto err =
      read_message<schema::KeyGroupState>(bytes, what, [&](schema::KeyGroupState::Reader in) {
        if (auto e = check_version(in.getFormatVersion(), what)) return e;
        out.first = read_schema(in);
        out.second.key_group = in.getKeyGroup();
        if (auto e = get_entries(in.getEntries(), out.second.entries, what + " entries")) return e;
        return get_entries(in.getTimers(), out.second.timers, what + " timers");
      });
  if (err) return err;
  return out;
}

std::string encode_operator_state(const operator_state& state) {
  capnp::MallocMessageBuilder message(static_cast<unsigned>(state.data.size() / 8 + 32));
  auto out = message.initRoot<schema::OperatorState>();
  out.setFormatVersion(snapshot_format_version);
  out.setWatermark(state.watermark);
  out.setRecords(state.records);
  out.setData(as_bytes(state.data.data(), state.data.size()));
  return to_string(message);
}

expected<operator_state> decode_operator_state(std::string_view bytes, const std::string& what) {
  operator_state state;
  auto err =
      read_message<schema::OperatorState>(bytes, what, [&](schema::OperatorState::Reader in) {
        if (auto e = check_version(in.getFormatVersion(), what)) return e;
        state.watermark = in.getWatermark();
        state.records = in.getRecords();
        auto data = in.getData();
        state.data.assign(reinterpret_cast<const char*>(data.begin()), data.size());
        return error{};
      });
  if (err) return err;
  return state;
}

std::vector<char> encode_task_snapshot(const task_snapshot& snapshot) {
  size_t bound = 64;
  for (const auto& op : snapshot.operators) {
    bound += 16 + words_for(op.uid.size()) + words_for(op.operator_state.size())
             + words_for(op.broadcast_state.size());
    for (const auto& kg : op.key_groups)
      bound += 4 + words_for(kg.second.size());
    for (const auto& r : op.rescaled)
      bound += 4 + words_for(r.second.size());
  }
  return build_flat<std::vector<char>>(bound, [&](capnp::MessageBuilder& message) {
    auto out = message.initRoot<schema::TaskSnapshot>();
    out.setFormatVersion(snapshot_format_version);
    out.setCheckpoint(snapshot.checkpoint);
    out.setTask(snapshot.task);
    out.setFinished(snapshot.finished);
    auto ops = out.initOperators(static_cast<unsigned>(snapshot.operators.size()));
    for (unsigned i = 0; i < snapshot.operators.size(); ++i) {
      const auto& op = snapshot.operators[i];
      ops[i].setUid(op.uid);
      ops[i].setSubtask(op.subtask);
      ops[i].setParallelism(op.parallelism);
      ops[i].setOperatorState(as_bytes(op.operator_state.data(), op.operator_state.size()));
      if (!op.broadcast_state.empty())
        ops[i].setBroadcastState(as_bytes(op.broadcast_state.data(), op.broadcast_state.size()));
      auto kgs = ops[i].initKeyGroups(static_cast<unsigned>(op.key_groups.size()));
      for (unsigned k = 0; k < op.key_groups.size(); ++k) {
        kgs[k].setKeyGroup(op.key_groups[k].first);
        kgs[k].setState(as_bytes(op.key_groups[k].second.data(), op.key_groups[k].second.size()));
      }
      if (!op.rescaled.empty()) {
        ops[i].setRescaledFrom(op.rescaled_from);
        auto rs = ops[i].initRescaled(static_cast<unsigned>(op.rescaled.size()));
        for (unsigned k = 0; k < op.rescaled.size(); ++k) {
          rs[k].setSubtask(op.rescaled[k].first);
          rs[k].setState(as_bytes(op.rescaled[k].second.data(), op.rescaled[k].second.size()));
        }
      }
    }
  });
}

std::vector<std::vector<char>> encode_task_snapshot_chunks(task_snapshot snapshot,
                                                           size_t chunk_bytes) {
  std::vector<std::vector<char>> chunks;
  task_snapshot part{snapshot.checkpoint, snapshot.task, false, {}};
  size_t bytes = 0;
  auto flush = [&] {
    chunks.push_back(encode_task_snapshot(part));
    part.operators.clear();
    bytes = 0;
  };
  for (auto& op : snapshot.operators) {
    bytes += op.operator_state.size() + op.broadcast_state.size();
    operator_snapshot piece{
        op.checkpoint, op.uid, op.subtask, op.parallelism, std::move(op.operator_state), {}, {}, 0,
        std::move(op.broadcast_state)};
    for (auto& kg : op.key_groups) {
      if (bytes + kg.second.size() > chunk_bytes && (bytes > 0 || !piece.key_groups.empty())) {
        if (!piece.operator_state.empty() || !piece.key_groups.empty() || !piece.broadcast_state.empty())
          part.operators.push_back(std::move(piece));
        flush();
        piece = operator_snapshot{op.checkpoint, op.uid, op.subtask, op.parallelism, {}, {}, {}, 0};
      }
      bytes += kg.second.size();
      piece.key_groups.push_back(std::move(kg));
    }
    part.operators.push_back(std::move(piece));
  }
  part.finished = snapshot.finished;
  flush();
  return chunks;
}

error visit_task_snapshot(std::string_view bytes, bool& finished, const blob_visitor& visit) {
  return read_message<schema::TaskSnapshot>(
      bytes, "task snapshot", [&](schema::TaskSnapshot::Reader in) {
        if (auto e = check_version(in.getFormatVersion(), "task snapshot")) return e;
        finished = in.getFinished();
        for (auto op : in.getOperators()) {
          std::string uid = op.getUid();
          auto view = [](capnp::Data::Reader d) {
            return std::string_view(reinterpret_cast<const char*>(d.begin()), d.size());
          };
          auto st = op.getOperatorState();
          if (st.size() > 0) visit(uid, op.getSubtask(), blob_kind::operator_state, 0, view(st));
          for (auto kg : op.getKeyGroups())
            visit(uid, op.getSubtask(), blob_kind::key_group, kg.getKeyGroup(), view(kg.getState()));
          auto bs = op.getBroadcastState();
          if (bs.size() > 0) visit(uid, op.getSubtask(), blob_kind::broadcast, 0, view(bs));
        }
        return error{};
      });
}

expected<task_snapshot> decode_task_snapshot(std::string_view bytes) {
  task_snapshot snap;
  auto err = read_message<schema::TaskSnapshot>(
      bytes, "task snapshot", [&](schema::TaskSnapshot::Reader in) {
        if (auto e = check_version(in.getFormatVersion(), "task snapshot")) return e;
        snap.checkpoint = in.getCheckpoint();
        snap.task = in.getTask();
        snap.finished = in.getFinished();
        for (auto op : in.getOperators()) {
          operator_snapshot o;
          o.uid = op.getUid();
          o.subtask = op.getSubtask();
          o.parallelism = op.getParallelism();
          auto st = op.getOperatorState();
          o.operator_state.assign(reinterpret_cast<const char*>(st.begin()), st.size());
          for (auto kg : op.getKeyGroups()) {
            auto data = kg.getState();
            o.key_groups.emplace_back(
                kg.getKeyGroup(),
                std::string(reinterpret_cast<const char*>(data.begin()), data.size()));
          }
          auto bs = op.getBroadcastState();
          o.broadcast_state.assign(reinterpret_cast<const char*>(bs.begin()), bs.size());
          o.rescaled_from = op.getRescaledFrom();
          for (auto r : op.getRescaled()) {
            auto data = r.getState();
            o.rescaled.emplace_back(r.getSubtask(),
                                    std::string(reinterpret_cast<const char*>(data.begin()), data.size()));
          }
          snap.operators.push_back(std::move(o));
        }
        return error{};
      });
  if (err) return err;
  return snap;
}

} // namespace weir::detail
