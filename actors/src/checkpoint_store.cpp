#include "checkpoint_store.hpp"

#include <algorithm>
#include <set>

#include "content_hash.hpp"
#include "store_records.hpp"
#include "weir/detail/snapshot.hpp"
#include "weir/schema/checkpoint.capnp.h"

namespace weir::runtime {

using namespace records;

namespace {

void set_summary(schema::CheckpointHistory::Builder h, const checkpoint_summary& s) {
  h.setId(s.id);
  h.setStartedMs(s.started_ms);
  h.setDurationMs(s.duration_ms);
  h.setAlignmentUs(s.alignment_us);
  h.setBytes(s.bytes);
  h.setFinal(s.final);
}

/// Whether `m` holds any blob of operator `uid` (an operator without state
/// is listed with none).
bool holds_state_of(const checkpoint_manifest& m, const std::string& uid) {
  auto escaped = escape_key_part(uid);
  for (const auto& b : m.blobs)
    for (const char* kind : {"state/", "op/", "broadcast/"})
      if (b.key.rfind(kind + escaped + "/", 0) == 0) return true;
  return false;
}

/// Where an operator's broadcast state is kept: once per operator.
std::string broadcast_key(const std::string& uid) {
  return "broadcast/" + escape_key_part(uid) + "/0";
}

} // namespace

std::string snapshot_ref::describe() const {
  if (is_savepoint()) return "savepoint '" + savepoint + "' version " + std::to_string(version);
  return "checkpoint " + std::to_string(checkpoint);
}

std::string escape_key_part(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (c == '/' || c == '%' || c < 0x20) {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

checkpoint_store::checkpoint_store(std::unique_ptr<kv_store> kv, std::string job, uint32_t retained)
  : kv_(std::move(kv)), job_(std::move(job)), retained_(std::max<uint32_t>(1, retained)) {}

std::string checkpoint_store::checkpoint_prefix(uint64_t id) const {
  return "ckpt/" + escape_key_part(job_) + "/" + id_key(id) + "/";
}

expected<uint64_t> checkpoint_store::write_task(uint64_t id, const std::string& head_uid, uint32_t subtask,
                                                const std::vector<char>& snapshot) {
  kv_store::batch b;
  auto& refs = written_[id];
  uint64_t bytes = 0;
  auto put = [&](std::string key, std::string_view value) {
    refs.push_back({key, value.size(), content_hash(value)});
    bytes += value.size();
    b.put_view(checkpoint_prefix(id) + key, value);
  };
  bool finished = false;
  auto err = detail::visit_task_snapshot(std::string_view(snapshot.data(), snapshot.size()), finished,
    [&](const std::string& uid, uint32_t op_subtask, detail::blob_kind kind, uint32_t kg, std::string_view blob) {
      switch (kind) {
        case detail::blob_kind::key_group: put("state/" + escape_key_part(uid) + "/" + num_key(kg), blob); break;
        case detail::blob_kind::operator_state:
          put("op/" + escape_key_part(uid) + "/" + num_key(op_subtask), blob);
          break;
        case detail::blob_kind::broadcast: put(broadcast_key(uid), blob); break;
      }
    });
  if (err) return err;
  if (finished) put("finished/" + escape_key_part(head_uid) + "/" + num_key(subtask), "");
  if (auto err2 = kv_->write(b, false)) return err2;
  return bytes;
}

error checkpoint_store::commit(const checkpoint_summary& summary, uint32_t max_parallelism,
                               const std::vector<std::pair<std::string, uint32_t>>& operators) {
  checkpoint_manifest m{summary, job_, max_parallelism, operators, std::move(written_[summary.id]), std::nullopt};
  written_.erase(summary.id);
  kv_store::batch b;
  b.put(checkpoint_prefix(summary.id) + "manifest", encode_manifest(m));
  if (auto err = kv_->write(b, true)) return err;
  capnp::MallocMessageBuilder message;
  auto h = message.initRoot<schema::CheckpointHistory>();
  set_summary(h, summary);
  h.setCompleted(true);
  kv_store::batch later;
  later.put("hist/" + escape_key_part(job_) + "/" + id_key(summary.id), to_bytes(message));
  auto ids = complete_ids();
  if (!ids) return ids.error_value();
  for (size_t i = 0; i + retained_ < ids->size(); ++i)
    if (auto err = delete_prefix(checkpoint_prefix((*ids)[i]), later)) return err;
  return kv_->write(later, false);
}

expected<bool> checkpoint_store::abandon(uint64_t id, const std::string& reason) {
  written_.erase(id);
  // The supervisor may give up on a checkpoint whose manifest the store had
  // already written (its reply was still on the way): that one exists.
  auto manifest = kv_->get(checkpoint_prefix(id) + "manifest");
  if (!manifest) return manifest.error_value();
  if (*manifest) return true;
  kv_store::batch b;
  if (auto err = delete_prefix(checkpoint_prefix(id), b)) return err;
  capnp::MallocMessageBuilder message;
  auto h = message.initRoot<schema::CheckpointHistory>();
  h.setId(id);
  h.setCompleted(false);
  h.setReason(reason);
  b.put("hist/" + escape_key_part(job_) + "/" + id_key(id), to_bytes(message));
  if (auto err = kv_->write(b, false)) return err;
  return false;
}

error checkpoint_store::delete_prefix(const std::string& prefix, kv_store::batch& b) {
  return kv_->scan(prefix, true, [&](std::string_view key, std::string_view) {
    b.deletes.emplace_back(key);
    return true;
  });
}

expected<std::vector<uint64_t>> checkpoint_store::complete_ids() {
  std::vector<uint64_t> ids;
  auto prefix = "ckpt/" + escape_key_part(job_) + "/";
  auto err = kv_->scan(prefix, true, [&](std::string_view key, std::string_view) {
    auto rest = key.substr(prefix.size());
    auto id = leading_id(rest);
    if (id && rest.size() == 20 + 9 && rest.substr(20) == "/manifest") ids.push_back(*id);
    return true;
  });
  if (err) return err;
  return ids;
}

expected<checkpoint_manifest> checkpoint_store::manifest(const snapshot_ref& at) {
  auto what = where() + ": " + at.describe() + " manifest";
  auto bytes = kv_->get(prefix_of(at) + "manifest");
  if (!bytes) return error{bytes.error_value().code(), what + ": " + bytes.error_value().message()};
  if (!*bytes) return error{errc::corrupt_state, what + " is missing"};
  auto m = decode_manifest(**bytes, what);
  if (!m) return m;
  if (!at.is_savepoint() && m->summary.id != at.checkpoint)
    return error{errc::corrupt_state, what + " names checkpoint " + std::to_string(m->summary.id)};
  if (at.is_savepoint() && (!m->savepoint || m->savepoint->name != at.savepoint || m->savepoint->version != at.version))
    return error{errc::corrupt_state, what + " does not name this savepoint"};
  return m;
}

expected<std::string> checkpoint_store::read_blob(const snapshot_ref& at, const blob_ref& ref) {
  auto what = where() + ": " + at.describe() + " blob '" + ref.key + "'";
  auto bytes = kv_->get(prefix_of(at) + ref.key);
  if (!bytes) return error{bytes.error_value().code(), what + ": " + bytes.error_value().message()};
  if (!*bytes) return error{errc::corrupt_state, what + " is missing"};
  if ((*bytes)->size() != ref.size)
    return error{errc::corrupt_state, what + " does not match its manifest (" + std::to_string((*bytes)->size())
                                        + " bytes, the manifest says " + std::to_string(ref.size) + ")"};
  if (content_hash(**bytes) != ref.hash)
    return error{errc::corrupt_state, what + " does not match its manifest (its content hash differs)"};
  return std::move(**bytes);
}

expected<std::vector<std::pair<uint32_t, std::string>>> checkpoint_store::key_group_blobs(const snapshot_ref& at,
                                                                                        const std::string& uid) {
  auto m = manifest(at);
  if (!m) return m.error_value();
  std::string known;
  bool found = false;
  for (const auto& [op, parallelism] : m->operators) {
    known += (known.empty() ? "" : ", ") + op;
    found = found || op == uid;
  }
  if (!found)
    return error{errc::bad_argument, where() + ": " + at.describe() + " holds no operator '" + uid
                                       + "' (it holds: " + known + ")"};
  auto prefix = "state/" + escape_key_part(uid) + "/";
  std::vector<std::pair<uint32_t, std::string>> out;
  for (const auto& ref : m->blobs) {
    if (ref.key.compare(0, prefix.size(), prefix) != 0) continue;
    uint32_t kg = 0;
    auto digits = std::string_view(ref.key).substr(prefix.size());
    if (std::from_chars(digits.data(), digits.data() + digits.size(), kg).ec != std::errc{}) continue;
    auto blob = read_blob(at, ref);
    if (!blob) return blob.error_value();
    out.emplace_back(kg, std::move(*blob));
  }
  std::sort(out.begin(), out.end());
  return out;
}

expected<std::optional<std::string>> checkpoint_store::broadcast_blob(const snapshot_ref& at, const std::string& uid) {
  auto m = manifest(at);
  if (!m) return m.error_value();
  auto key = broadcast_key(uid);
  for (const auto& ref : m->blobs)
    if (ref.key == key) {
      auto blob = read_blob(at, ref);
      if (!blob) return blob.error_value();
      return std::optional<std::string>(std::move(*blob));
    }
  return std::optional<std::string>{};
}

error checkpoint_store::verify(const snapshot_ref& at) {
  auto m = manifest(at);
  if (!m) return m.error_value();
  for (const auto& ref : m->blobs)
    if (auto blob = read_blob(at, ref); !blob) return blob.error_value();
  return {};
}

error checkpoint_store::check_mapping(const snapshot_ref& at, const checkpoint_manifest& m,
                                      const detail::job_graph& graph, bool allow_unmatched) {
  auto what = where() + ": " + at.describe();
  bool keyed = std::any_of(m.blobs.begin(), m.blobs.end(), [](const blob_ref& b) { return b.key.rfind("state/", 0) == 0; });
  if (keyed && m.max_parallelism != graph.max_parallelism)
    return error{errc::incompatible_state, what + " was taken at max parallelism " + std::to_string(m.max_parallelism)
                                             + ", the job has " + std::to_string(graph.max_parallelism)
                                             + ": keyed state is split into that many key groups for good"};
  std::map<std::string, uint32_t> stored_ops(m.operators.begin(), m.operators.end());
  for (const auto& v : graph.vertices) stored_ops.erase(v.uid);
  std::string unmatched;
  for (const auto& [uid, parallelism] : stored_ops)
    if (holds_state_of(m, uid)) unmatched += (unmatched.empty() ? "'" : ", '") + uid + "'";
  if (!unmatched.empty() && !allow_unmatched)
    return error{errc::incompatible_state, what + " holds state of operators the job does not have: " + unmatched
                                             + (at.is_savepoint() ? " (--allow-non-restored-state leaves it behind)"
                                                                  : "")};
  return {};
}

expected<detail::operator_snapshot> checkpoint_store::load_operator(const snapshot_ref& at, const blob_index& blobs,
                                                                    const subtask_info& info, uint32_t stored_parallelism) {
  detail::operator_snapshot op;
  op.uid = info.uid;
  op.subtask = info.index;
  op.parallelism = info.parallelism;
  auto uid = escape_key_part(info.uid);
  auto read = [&](const std::string& key) -> expected<std::optional<std::string>> {
    auto b = blobs.find(key);
    if (b == blobs.end()) return std::optional<std::string>{};
    auto blob = read_blob(at, *b->second);
    if (!blob) return blob.error_value();
    return std::optional<std::string>(std::move(*blob));
  };
  // At another parallelism every old subtask's own state goes to each new
  // one, which takes what it continues; keyed state goes by key group.
  bool rescaled = stored_parallelism != 0 && stored_parallelism != info.parallelism;
  for (uint32_t old = 0; rescaled && old < stored_parallelism; ++old) {
    auto blob = read("op/" + uid + "/" + num_key(old));
    if (!blob) return blob.error_value();
    if (*blob) op.rescaled.emplace_back(old, std::move(**blob));
  }
  if (rescaled) op.rescaled_from = stored_parallelism;
  if (!rescaled) {
    auto blob = read("op/" + uid + "/" + num_key(info.index));
    if (!blob) return blob.error_value();
    if (*blob) op.operator_state = std::move(**blob);
  }
  for (uint32_t kg = info.key_groups.first; kg < info.key_groups.last; ++kg) {
    auto blob = read("state/" + uid + "/" + num_key(kg));
    if (!blob) return blob.error_value();
    if (*blob) op.key_groups.emplace_back(kg, std::move(**blob));
  }
  // Broadcast state is the same on every subtask: each gets the one copy.
  auto broadcast = read(broadcast_key(info.uid));
  if (!broadcast) return broadcast.error_value();
  if (*broadcast) op.broadcast_state = std::move(**broadcast);
  return op;
}

expected<std::vector<std::vector<char>>> checkpoint_store::load(const snapshot_ref& at, const detail::job_graph& graph,
                                                                const detail::physical_plan& plan,
                                                                bool allow_unmatched) {
  auto m = manifest(at);
  if (!m) return m.error_value();
  if (auto err = check_mapping(at, *m, graph, allow_unmatched)) return err;
  blob_index blobs;
  for (const auto& b : m->blobs) blobs[b.key] = &b;
  std::map<std::string, uint32_t> stored_ops(m->operators.begin(), m->operators.end());
  std::vector<std::vector<char>> tasks;
  for (uint32_t t = 0; t < plan.tasks.size(); ++t) {
    const auto& spec = plan.tasks[t];
    const auto& chain = plan.chains[spec.chain];
    detail::task_snapshot snap;
    snap.checkpoint = m->summary.id;
    snap.task = t;
    const auto& head = graph.vertices[chain.vertices.front()].uid;
    // A task that had finished restores as finished only at its old parallelism.
    auto head_stored = stored_ops.find(head);
    bool same = head_stored != stored_ops.end() && head_stored->second == chain.parallelism;
    snap.finished = same && blobs.count("finished/" + escape_key_part(head) + "/" + num_key(spec.subtask)) > 0;
    for (int v : chain.vertices) {
      auto info = plan.info(graph, v, spec.subtask);
      auto stored = stored_ops.find(info.uid);
      auto op = load_operator(at, blobs, info, stored == stored_ops.end() ? 0 : stored->second);
      if (!op) return op.error_value();
      if (!op->operator_state.empty() || !op->key_groups.empty() || !op->rescaled.empty()
          || !op->broadcast_state.empty())
        snap.operators.push_back(std::move(*op));
    }
    tasks.push_back(detail::encode_task_snapshot(snap));
  }
  return tasks;
}

expected<std::vector<checkpoint_history>> checkpoint_store::history() {
  std::vector<checkpoint_history> out;
  error failure;
  auto err = kv_->scan("hist/" + escape_key_part(job_) + "/", false, [&](std::string_view, std::string_view v) {
    checkpoint_history h;
    failure = read_record<schema::CheckpointHistory>(std::string(v), where() + ": history",
                                                     [&](schema::CheckpointHistory::Reader in) {
      h.summary = {in.getId(), in.getStartedMs(), in.getDurationMs(), in.getAlignmentUs(), in.getBytes(),
                   in.getFinal(), {}, 0};
      h.completed = in.getCompleted();
      h.reason = in.getReason();
      return error{};
    });
    out.push_back(std::move(h));
    return !failure;
  });
  if (err) return err;
  if (failure) return failure;
  return out;
}

expected<uint64_t> checkpoint_store::next_id() {
  uint64_t highest = 0;
  auto note = [&](const std::string& prefix) {
    return kv_->scan(prefix, true, [&](std::string_view key, std::string_view) {
      if (auto id = leading_id(key.substr(prefix.size()))) highest = std::max(highest, *id);
      return true;
    });
  };
  if (auto err = note("ckpt/" + escape_key_part(job_) + "/")) return err;
  if (auto err = note("hist/" + escape_key_part(job_) + "/")) return err;
  return highest + 1;
}

expected<std::optional<run_record>> checkpoint_store::run() {
  auto bytes = kv_->get("run/" + escape_key_part(job_));
  if (!bytes) return bytes.error_value();
  if (!*bytes) return std::optional<run_record>{};
  run_record r;
  auto err = read_record<schema::RunRecord>(**bytes, where() + ": run record", [&](schema::RunRecord::Reader in) {
    r.job = in.getJob();
    r.fingerprint = in.getFingerprint();
    r.finished = in.getFinished();
    r.started_ms = in.getStartedMs();
    r.ended_ms = in.getEndedMs();
    return error{};
  });
  if (err) return err;
  return std::optional<run_record>{std::move(r)};
}

error checkpoint_store::put_run(const run_record& r) {
  capnp::MallocMessageBuilder message;
  auto out = message.initRoot<schema::RunRecord>();
  out.setFormatVersion(manifest_format_version);
  out.setJob(r.job);
  out.setFingerprint(r.fingerprint);
  out.setFinished(r.finished);
  out.setStartedMs(r.started_ms);
  out.setEndedMs(r.ended_ms);
  kv_store::batch b;
  b.put("run/" + escape_key_part(job_), to_bytes(message));
  return kv_->write(b, true);
}

error checkpoint_store::discard_checkpoints() {
  kv_store::batch b;
  if (auto err = delete_prefix("ckpt/" + escape_key_part(job_) + "/", b)) return err;
  if (auto err = delete_prefix("hist/" + escape_key_part(job_) + "/", b)) return err;
  written_.clear();
  return kv_->write(b, true);
}

expected<std::vector<uint64_t>> checkpoint_store::incomplete_ids() {
  auto ids = complete_ids();
  if (!ids) return ids.error_value();
  std::set<uint64_t> complete(ids->begin(), ids->end()), partial;
  auto prefix = "ckpt/" + escape_key_part(job_) + "/";
  auto err = kv_->scan(prefix, true, [&](std::string_view key, std::string_view) {
    auto id = leading_id(key.substr(prefix.size()));
    if (id && !complete.count(*id)) partial.insert(*id);
    return true;
  });
  if (err) return err;
  return std::vector<uint64_t>(partial.begin(), partial.end());
}

error checkpoint_store::remove_incomplete() {
  auto ids = complete_ids();
  if (!ids) return ids.error_value();
  std::set<uint64_t> complete(ids->begin(), ids->end());
  auto prefix = "ckpt/" + escape_key_part(job_) + "/";
  kv_store::batch b;
  auto err = kv_->scan(prefix, true, [&](std::string_view key, std::string_view) {
    auto id = leading_id(key.substr(prefix.size()));
    if (id && complete.count(*id) == 0) b.deletes.emplace_back(key);
    return true;
  });
  if (err) return err;
  return b.deletes.empty() ? error{} : kv_->write(b, false);
}

} // namespace weir::runtime
