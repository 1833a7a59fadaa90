// weir/checkpoints.hpp: savepoints listed, described and deleted without
// running their job.

#include <charconv>
#include <ctime>
#include <map>

#include "weir/log.hpp"
#include "checkpoint_store.hpp"
#include "store_access.hpp"
#include "weir/checkpoints.hpp"
#include "weir/detail/snapshot.hpp"
#include "weir/detail/state_json.hpp"

namespace weir {

namespace {

using detail::json_string;
using runtime::checkpoint_manifest;
using runtime::checkpoint_store;
using runtime::snapshot_ref;

/// An operator subtask's own state (a source's position, a sink's
/// transactions) is shown as hex up to this size.
constexpr size_t max_shown_bytes = 64;

using runtime::hex;

std::string iso_time(int64_t ms) { return utc_text(ms, "%Y-%m-%dT%H:%M:%SZ"); }

std::string json_lines(const std::string& text) {
  std::string out = "[";
  size_t start = 0;
  while (start < text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    if (end > start) out += (out.size() > 1 ? "," : "") + json_string(text.substr(start, end - start));
    start = end + 1;
  }
  return out + "]";
}

/// A blob key's operator uid and number ("state/<uid>/<kg>", "op/<uid>/<subtask>",
/// "broadcast/<uid>/0").
struct blob_key {
  std::string kind;
  std::string uid; // escaped as stored
  uint32_t number = 0;
};

std::optional<blob_key> parse_blob_key(const std::string& key) {
  auto first = key.find('/'), last = key.rfind('/');
  if (first == std::string::npos || last == first) return std::nullopt;
  blob_key k{key.substr(0, first), key.substr(first + 1, last - first - 1), 0};
  auto digits = std::string_view(key).substr(last + 1);
  if (std::from_chars(digits.data(), digits.data() + digits.size(), k.number).ec != std::errc{}) return std::nullopt;
  return k;
}

/// One operator of a savepoint, as inspect describes it.
struct operator_view {
  std::map<std::string, std::pair<uint64_t, uint64_t>> states; // schema JSON -> (keys, timers)
  uint32_t key_groups = 0;
  std::map<uint32_t, std::string> subtasks; // JSON objects by subtask
};

std::string schema_json(const detail::state_schema& s) {
  std::string out = "{\"kind\":" + json_string(s.kind) + ",\"key_type\":" + json_string(s.key_type) + ",\"fields\":[";
  for (size_t i = 0; i < s.fields.size(); ++i)
    out += (i ? "," : "") + std::string("{\"name\":") + json_string(s.fields[i].first)
           + ",\"type\":" + json_string(s.fields[i].second) + "}";
  out += "]";
  if (!s.timer_type.empty()) out += ",\"timer_type\":" + json_string(s.timer_type);
  return out;
}

// Reads every blob of the savepoint (checked against its manifest) to
// describe its operators' state.
expected<std::map<std::string, operator_view>> describe_operators(checkpoint_store& store, const snapshot_ref& at,
                                                                  const checkpoint_manifest& m) {
  std::map<std::string, operator_view> ops;
  for (const auto& [uid, parallelism] : m.operators) ops[runtime::escape_key_part(uid)];
  for (const auto& ref : m.blobs) {
    auto key = parse_blob_key(ref.key);
    if (!key || (key->kind != "state" && key->kind != "op" && key->kind != "broadcast")) continue;
    auto what = at.describe() + " blob '" + ref.key + "'";
    auto& view = ops[key->uid];
    if (key->kind == "op") {
      auto blobs = store.blob(at, ref);
      if (!blobs) return blobs.error_value();
      auto st = detail::decode_operator_state(*blobs, what);
      if (!st) return st.error_value();
      view.subtasks[key->number] = ("{\"subtask\":" + std::to_string(key->number) + ",\"records\":"
                              + std::to_string(st->records) + ",\"watermark\":"
                              + (st->watermark == INT64_MIN ? std::string("null") : std::to_string(st->watermark))
                              + ",\"bytes\":" + std::to_string(st->data.size())
                              + (st->data.size() <= max_shown_bytes ? ",\"hex\":\"" + hex(st->data) + "\"" : "")
                              + "}");
      continue;
    }
    auto blob = store.blob(at, ref);
    if (!blob) return blob.error_value();
    auto decoded = detail::decode_key_group_as_stored(*blob, what);
    if (!decoded) return decoded.error_value();
    auto& counts = view.states[schema_json(decoded->first)];
    counts.first += decoded->second.entries.size();
    counts.second += decoded->second.timers.size();
    if (key->kind == "state") ++view.key_groups; // broadcast state is one blob, in no key group
  }
  return ops;
}

std::string manifest_json(const checkpoint_store& store, const checkpoint_manifest& m,
                          const std::map<std::string, operator_view>& ops) {
  const auto& sp = *m.savepoint;
  std::string out = "{\n  \"format_version\": 1,\n  \"weir_version\": " + json_string(sp.weir_version)
                    + ",\n  \"job\": " + json_string(store.job())
                    + ",\n  \"job_version\": " + json_string(sp.job_version)
                    + ",\n  \"savepoint\": " + json_string(sp.name)
                    + ",\n  \"version\": " + std::to_string(sp.version)
                    + ",\n  \"created\": " + json_string(iso_time(sp.created_ms))
                    + ",\n  \"created_ms\": " + std::to_string(sp.created_ms)
                    + ",\n  \"checkpoint\": " + std::to_string(m.summary.id)
                    + ",\n  \"bytes\": " + std::to_string(m.summary.bytes)
                    + ",\n  \"max_parallelism\": " + std::to_string(m.max_parallelism)
                    + ",\n  \"fingerprint\": " + json_lines(sp.fingerprint) + ",\n  \"operators\": [";
  for (size_t i = 0; i < m.operators.size(); ++i) {
    const auto& [uid, parallelism] = m.operators[i];
    const auto& view = ops.at(runtime::escape_key_part(uid));
    out += std::string(i ? "," : "") + "\n    {\"uid\": " + json_string(uid) + ", \"parallelism\": "
           + std::to_string(parallelism) + ", \"key_groups\": " + std::to_string(view.key_groups) + ", \"states\": [";
    size_t n = 0;
    for (const auto& [schema, counts] : view.states)
      out += (n++ ? ", " : "") + schema + ",\"keys\":" + std::to_string(counts.first)
             + ",\"timers\":" + std::to_string(counts.second) + "}";
    out += "], \"subtasks\": [";
    size_t s = 0;
    for (const auto& [subtask, json] : view.subtasks) out += (s++ ? ", " : "") + json;
    out += "]}";
  }
  return out + "\n  ]\n}\n";
}

} // namespace

expected<std::vector<savepoint_info>> list_savepoints(const std::string& state_dir) {
  std::vector<savepoint_info> out;
  auto err = runtime::for_each_job(state_dir, [&](checkpoint_store& store) -> error {
    auto all = store.savepoints();
    if (!all) return all.error_value();
    for (const auto& [name, version] : *all) {
      auto m = store.manifest(snapshot_ref(name, version));
      if (!m) return m.error_value();
      out.push_back({store.job(), name, version, m->summary.id, m->savepoint->created_ms, m->summary.bytes});
    }
    return {};
  });
  if (err) return err;
  return out;
}

expected<std::string> inspect_savepoint(const std::string& state_dir, const std::string& job,
                                        const std::string& which) {
  std::string out;
  auto err = runtime::with_job(state_dir, job, [&](checkpoint_store& store) -> error {
    auto at = store.find_savepoint(which);
    if (!at) return at.error_value();
    auto m = store.manifest(*at);
    if (!m) return m.error_value();
    auto ops = describe_operators(store, *at, *m);
    if (!ops) return ops.error_value();
    out = manifest_json(store, *m, *ops);
    return {};
  });
  if (err) return err;
  return out;
}

expected<uint32_t> delete_savepoint(const std::string& state_dir, const std::string& job, const std::string& which) {
  uint32_t deleted = 0;
  auto err = runtime::with_job(state_dir, job, [&](checkpoint_store& store) -> error {
    auto at = store.find_savepoint(which);
    if (!at) return at.error_value();
    bool one = which.find('@') != std::string::npos;
    auto n = store.delete_savepoint(at->savepoint, one ? at->version : 0);
    if (!n) return n.error_value();
    deleted = *n;
    return {};
  });
  if (err) return err;
  return deleted;
}

} // namespace weir
