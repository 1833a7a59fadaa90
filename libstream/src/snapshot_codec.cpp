// The one adapter between snapshot bytes and Cap'n Proto: every blob read
// back from a checkpoint passes here, with explicit limits, and a Cap'n Proto
// exception becomes an errc::corrupt_state error naming the blob.

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <kj/exception.h>

#include <cstring>

#include "weir/detail/snapshot.hpp"
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

error corrupt(const std::string& what, const std::string& why) {
  return {errc::corrupt_state, what + ": " + why};
}

/// Reads a message from `bytes` (copied once to be word-aligned), applying
/// limits sized to the bytes, and hands its root to `read`.
template <class Root, class Read>
error read_message(std::string_view bytes, const std::string& what, Read&& read) {
  if (bytes.size() % 8 != 0 || bytes.empty())
    return corrupt(what, std::to_string(bytes.size()) + " bytes is not a whole Cap'n Proto message");
  kj::Array<capnp::word> words = kj::heapArray<capnp::word>(bytes.size() / 8);
  std::memcpy(words.begin(), bytes.data(), bytes.size());
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
  if (off.size() < 4 || off.size() % 4 != 0) return corrupt(what, "entry offsets are not a list of UInt32");
  std::vector<uint32_t> offsets(off.size() / 4);
  std::memcpy(offsets.data(), off.begin(), off.size());
  if (offsets.front() != 0) return corrupt(what, "the first entry offset is not 0");
  for (size_t i = 1; i < offsets.size(); ++i)
    if (offsets[i] < offsets[i - 1]) return corrupt(what, "entry offsets decrease at entry " + std::to_string(i));
  if (offsets.back() != pay.size()) return corrupt(what, "entry offsets do not end at the payload's end");
  t.assign(std::string(reinterpret_cast<const char*>(pay.begin()), pay.size()), std::move(offsets));
  return {};
}

state_schema read_schema(schema::KeyGroupState::Reader in) {
  state_schema s;
  s.kind = in.getKind();
  s.key_type = in.getKeyType();
  for (auto f : in.getFields()) s.fields.emplace_back(f.getName(), f.getType());
  s.timer_type = in.getTimerType();
  return s;
}

std::string describe(const state_schema& s) {
  std::string fields;
  for (const auto& [name, type] : s.fields) fields += (fields.empty() ? "" : ", ") + name + ": " + type;
  return s.kind + " keyed by " + s.key_type + " {" + fields + "}"
         + (s.timer_type.empty() ? "" : " with timers " + s.timer_type);
}

error check_version(uint32_t version, const std::string& what) {
  if (version == snapshot_format_version) return {};
  return {errc::incompatible_state, what + ": snapshot format version " + std::to_string(version)
                                      + ", this build reads version "
                                      + std::to_string(snapshot_format_version)};
}

} // namespace

std::string encode_key_group(const state_schema& s, const key_group_state& kg) {
  capnp::MallocMessageBuilder message(
    static_cast<unsigned>((kg.entries.payload().size() + kg.timers.payload().size()) / 8 + 256));
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
  return to_string(message);
}

expected<state_schema> key_group_schema(std::string_view bytes, const std::string& what) {
  state_schema s;
  auto err = read_message<schema::KeyGroupState>(bytes, what, [&](schema::KeyGroupState::Reader in) {
    if (auto e = check_version(in.getFormatVersion(), what)) return e;
    s = read_schema(in);
    return error{};
  });
  if (err) return err;
  return s;
}

expected<key_group_state> decode_key_group(std::string_view bytes, uint32_t key_group,
                                           const state_schema& expected_schema, const std::string& what) {
  key_group_state kg;
  auto err = read_message<schema::KeyGroupState>(bytes, what, [&](schema::KeyGroupState::Reader in) {
    if (auto e = check_version(in.getFormatVersion(), what)) return e;
    if (in.getKeyGroup() != key_group)
      return corrupt(what, "holds key group " + std::to_string(in.getKeyGroup()));
    auto stored = read_schema(in);
    if (!(stored == expected_schema))
      return error{errc::incompatible_state, what + ": the checkpoint holds " + describe(stored)
                                               + " but the job keeps " + describe(expected_schema)};
    kg.key_group = key_group;
    if (auto e = get_entries(in.getEntries(), kg.entries, what + " entries")) return e;
    return get_entries(in.getTimers(), kg.timers, what + " timers");
  });
  if (err) return err;
  return kg;
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
  auto err = read_message<schema::OperatorState>(bytes, what, [&](schema::OperatorState::Reader in) {
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
  size_t bytes = 0;
  for (const auto& op : snapshot.operators) {
    bytes += op.operator_state.size() + 64;
    for (const auto& kg : op.key_groups) bytes += kg.second.size() + 16;
  }
  capnp::MallocMessageBuilder message(static_cast<unsigned>(bytes / 8 + 64));
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
    auto kgs = ops[i].initKeyGroups(static_cast<unsigned>(op.key_groups.size()));
    for (unsigned k = 0; k < op.key_groups.size(); ++k) {
      kgs[k].setKeyGroup(op.key_groups[k].first);
      kgs[k].setState(as_bytes(op.key_groups[k].second.data(), op.key_groups[k].second.size()));
    }
  }
  auto words = capnp::messageToFlatArray(message);
  auto flat = words.asBytes();
  return std::vector<char>(reinterpret_cast<const char*>(flat.begin()),
                           reinterpret_cast<const char*>(flat.end()));
}

expected<task_snapshot> decode_task_snapshot(std::string_view bytes) {
  task_snapshot snap;
  auto err = read_message<schema::TaskSnapshot>(bytes, "task snapshot", [&](schema::TaskSnapshot::Reader in) {
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
        o.key_groups.emplace_back(kg.getKeyGroup(),
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
