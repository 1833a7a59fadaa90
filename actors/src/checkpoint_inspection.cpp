// weir/checkpoints.hpp: a state directory read without running its job.

#include <charconv>
#include <cstdio>
#include <filesystem>
#include <set>

#include "checkpoint_store.hpp"
#include "store_access.hpp"
#include "weir/checkpoints.hpp"
#include "weir/detail/snapshot.hpp"
#include "weir/detail/state_json.hpp"

namespace weir {

namespace {

using runtime::checkpoint_store;
using runtime::for_each_job;

using runtime::hex;

/// One keyed state entry (the key, then each field) as a JSON object, or
/// nothing when its key is not `only`.
/// One entry as JSON; `place` is its first member: where the entry lives
/// ("\"key_group\":7", or "\"broadcast\":true").
std::optional<std::string> entry_json(const detail::state_schema& schema, const std::string& place, std::string_view entry,
                                      const std::optional<std::string>& only, const std::string& what) {
  byte_reader in(entry);
  auto key = detail::json_of(schema.key_type, in);
  if (!key) {
    if (only) return std::nullopt; // a key only the job's code reads matches no key given as text
    return "{" + place + ",\"key\":{\"type\":" + detail::json_string(schema.key_type)
           + ",\"undecoded\":\"" + hex(entry) + "\"}}";
  }
  if (only && *key != *only && *key != detail::json_string(*only)) return std::nullopt;
  std::string out = "{" + place + ",\"key\":" + *key;
  for (const auto& [name, type] : schema.fields) {
    auto rest = entry.substr(entry.size() - in.remaining());
    auto value = detail::json_of(type, in);
    if (!value) {
      out += "," + detail::json_string(name) + ":{\"type\":" + detail::json_string(type) + ",\"undecoded\":\""
             + hex(rest) + "\"}";
      return out + "}";
    }
    out += "," + detail::json_string(name) + ":" + *value;
  }
  if (!in.at_end()) throw detail::state_error(errc::corrupt_state, what + ": an entry is longer than its fields");
  return out + "}";
}

/// The savepoint or retained checkpoint a query names (the latest checkpoint
/// when it names none).
expected<runtime::snapshot_ref> snapshot_to_query(checkpoint_store& store, const state_query& query) {
  if (!query.savepoint.empty()) return store.find_savepoint(query.savepoint);
  auto ids = store.complete_ids();
  if (!ids) return ids.error_value();
  std::string retained;
  for (auto id : *ids) retained += (retained.empty() ? "" : ", ") + std::to_string(id);
  if (ids->empty())
    return error{errc::bad_argument, "job '" + store.job() + "' has no retained checkpoint in " + store.where()};
  auto read = query.checkpoint == 0 ? ids->back() : query.checkpoint;
  if (std::find(ids->begin(), ids->end(), read) == ids->end())
    return error{errc::bad_argument, "job '" + store.job() + "' has no retained checkpoint " + std::to_string(read)
                                       + " (retained: " + retained + ")"};
  return runtime::snapshot_ref(read);
}

} // namespace

expected<std::pair<std::vector<run_info>, std::vector<checkpoint_info>>>
list_checkpoints(const std::string& state_dir) {
  std::vector<run_info> runs;
  std::vector<checkpoint_info> out;
  auto err = for_each_job(state_dir, [&](checkpoint_store& store) -> error {
    auto run = store.run();
    if (!run) return run.error_value();
    if (*run) runs.push_back({store.job(), (*run)->finished, (*run)->started_ms, (*run)->ended_ms});
    auto history = store.history();
    if (!history) return history.error_value();
    auto ids = store.complete_ids();
    if (!ids) return ids.error_value();
    std::set<uint64_t> retained(ids->begin(), ids->end());
    for (const auto& h : *history)
      out.push_back({store.job(), h.summary.id, h.completed, retained.count(h.summary.id) > 0, h.summary.started_ms,
                     h.summary.duration_ms, h.summary.alignment_us, h.summary.bytes, h.reason,
                     h.summary.final});
    return {};
  });
  if (err) return err;
  return std::make_pair(std::move(runs), std::move(out));
}

expected<std::vector<checkpoint_check>> verify_checkpoints(const std::string& state_dir) {
  std::vector<checkpoint_check> out;
  auto err = for_each_job(state_dir, [&](checkpoint_store& store) -> error {
    auto ids = store.complete_ids();
    if (!ids) return ids.error_value();
    for (auto id : *ids) {
      checkpoint_check c{store.job(), id, 0, 0, {}};
      auto m = store.manifest(id);
      if (m) {
        c.blobs = m->blobs.size();
        c.bytes = m->summary.bytes;
      }
      c.problem = m ? store.verify(id) : m.error_value();
      out.push_back(std::move(c));
    }
    return {};
  });
  if (err) return err;
  return out;
}

expected<uint64_t> query_state(const std::string& state_dir, const state_query& query,
                               const std::function<void(const std::string&)>& line) {
  uint64_t read = 0;
  auto err = runtime::with_job(state_dir, query.job, [&](checkpoint_store& store) -> error {
    auto id = runtime::query_store(store, query, line);
    if (!id) return id.error_value();
    read = *id;
    return {};
  });
  if (err) return err;
  return read;
}

namespace runtime {

expected<uint64_t> query_store(checkpoint_store& store, const state_query& query,
                               const std::function<void(const std::string&)>& line) {
  auto at = snapshot_to_query(store, query);
  if (!at) return at.error_value();
  auto m = store.manifest(*at);
  if (!m) return m.error_value();
  auto blobs = store.key_group_blobs(*at, query.operator_uid);
  if (!blobs) return blobs.error_value();
  // Each entry of one blob (a key group, or the broadcast map) as a line.
  auto print = [&](const std::string& bytes, const std::string& place, const std::string& what) -> error {
    auto decoded = detail::decode_key_group_as_stored(bytes, what);
    if (!decoded) return decoded.error_value();
    const auto& [schema, state] = *decoded;
    for (size_t i = 0; i < state.entries.size(); ++i)
      if (auto json = entry_json(schema, place, state.entries.entry(i), query.key, what)) line(*json);
    return {};
  };
  auto op = at->describe() + " operator '" + query.operator_uid + "'";
  try {
    for (const auto& [kg, bytes] : *blobs)
      if (auto err = print(bytes, "\"key_group\":" + std::to_string(kg), op + " key group " + std::to_string(kg)))
        return err;
    // --key names a key of the keyed state: the broadcast map is printed without one.
    auto broadcast = query.key ? expected<std::optional<std::string>>(std::optional<std::string>{})
                               : store.broadcast_blob(*at, query.operator_uid);
    if (!broadcast) return broadcast.error_value();
    if (*broadcast)
      if (auto err = print(**broadcast, "\"broadcast\":true", op + " broadcast state")) return err;
  } catch (const detail::state_error& e) {
    return error{e.code(), e.what()};
  }
  return m->summary.id;
}

} // namespace runtime

} // namespace weir
