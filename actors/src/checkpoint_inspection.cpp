// weir/checkpoints.hpp: a state directory read without running its job.

#include <charconv>
#include <cstdio>
#include <filesystem>
#include <set>

#include "checkpoint_store.hpp"
#include "leveldb_kv.hpp"
#include "weir/checkpoints.hpp"
#include "weir/detail/snapshot.hpp"
#include "weir/detail/state_json.hpp"

namespace weir {

namespace {

using runtime::checkpoint_store;

expected<std::unique_ptr<runtime::leveldb_kv>> open_existing(const std::string& dir) {
  std::error_code ec;
  if (!std::filesystem::exists(dir + "/CURRENT", ec))
    return error{errc::io, "'" + dir + "' holds no state (no LevelDB there)"};
  return runtime::leveldb_kv::open(dir, false);
}

/// The jobs with a run record, or with checkpoints, in the store.
expected<std::vector<std::string>> jobs_in(runtime::kv_store& kv) {
  std::set<std::string> jobs;
  auto collect = [&](const std::string& prefix) {
    return kv.scan(prefix, true, [&](std::string_view key, std::string_view) {
      auto rest = key.substr(prefix.size());
      auto name = std::string(rest.substr(0, rest.find('/')));
      std::string plain; // undo escape_key_part
      for (size_t i = 0; i < name.size(); ++i) {
        int byte = 0;
        if (name[i] == '%' && i + 2 < name.size()
            && std::from_chars(name.data() + i + 1, name.data() + i + 3, byte, 16).ec == std::errc{}) {
          plain += static_cast<char>(byte);
          i += 2;
        } else {
          plain += name[i];
        }
      }
      jobs.insert(plain);
      return true;
    });
  };
  if (auto err = collect("run/")) return err;
  if (auto err = collect("hist/")) return err;
  return std::vector<std::string>(jobs.begin(), jobs.end());
}

/// Runs `per_job(store)` for each job of the state directory.
template <class F>
error for_each_job(const std::string& state_dir, F&& per_job) {
  auto db = open_existing(state_dir);
  if (!db) return db.error_value();
  std::shared_ptr<runtime::kv_store> kv(std::move(*db));
  auto jobs = jobs_in(*kv);
  if (!jobs) return jobs.error_value();
  for (const auto& job : *jobs) {
    // The store owns its kv: lend it the shared one without giving it away.
    struct borrowed final : runtime::kv_store {
      std::shared_ptr<runtime::kv_store> kv;
      error write(const batch& b, bool sync) override { return kv->write(b, sync); }
      expected<std::optional<std::string>> get(const std::string& k) override { return kv->get(k); }
      error scan(const std::string& p, bool keys_only,
                 const std::function<bool(std::string_view, std::string_view)>& fn) override {
        return kv->scan(p, keys_only, fn);
      }
      std::string where() const override { return kv->where(); }
    };
    auto lent = std::make_unique<borrowed>();
    lent->kv = kv;
    checkpoint_store store(std::move(lent), job, 1);
    if (auto err = per_job(store)) return err;
  }
  return {};
}


std::string hex(std::string_view bytes) {
  std::string out;
  char buf[3];
  for (unsigned char c : bytes) {
    std::snprintf(buf, sizeof buf, "%02x", c);
    out += buf;
  }
  return out;
}

/// One keyed state entry (the key, then each field) as a JSON object, or
/// nothing when its key is not `only`.
std::optional<std::string> entry_json(const detail::state_schema& schema, uint32_t key_group, std::string_view entry,
                                      const std::optional<std::string>& only, const std::string& what) {
  byte_reader in(entry);
  auto key = detail::json_of(schema.key_type, in);
  if (!key) {
    if (only) return std::nullopt; // a key only the job's code reads matches no key given as text
    return "{\"key_group\":" + std::to_string(key_group) + ",\"key\":{\"type\":" + detail::json_string(schema.key_type)
           + ",\"undecoded\":\"" + hex(entry) + "\"}}";
  }
  if (only && *key != *only && *key != detail::json_string(*only)) return std::nullopt;
  std::string out = "{\"key_group\":" + std::to_string(key_group) + ",\"key\":" + *key;
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
  std::vector<std::string> jobs;
  if (auto err = for_each_job(state_dir, [&](checkpoint_store& store) -> error {
        jobs.push_back(store.job());
        return {};
      }))
    return err;
  auto list = [](const std::vector<std::string>& names) {
    std::string out;
    for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
    return out.empty() ? std::string("none") : out;
  };
  std::string job = query.job;
  if (job.empty() && jobs.size() == 1) job = jobs.front();
  if (job.empty()) return error{errc::bad_argument, "'" + state_dir + "' holds several jobs: say which (" + list(jobs) + ")"};
  if (std::find(jobs.begin(), jobs.end(), job) == jobs.end())
    return error{errc::bad_argument, "'" + state_dir + "' holds no job '" + job + "' (it holds: " + list(jobs) + ")"};
  uint64_t read = 0;
  auto err = for_each_job(state_dir, [&](checkpoint_store& store) -> error {
    if (store.job() != job) return {};
    auto ids = store.complete_ids();
    if (!ids) return ids.error_value();
    std::vector<std::string> names;
    for (auto id : *ids) names.push_back(std::to_string(id));
    if (ids->empty()) return error{errc::bad_argument, "job '" + job + "' has no retained checkpoint in '" + state_dir + "'"};
    read = query.checkpoint == 0 ? ids->back() : query.checkpoint;
    if (std::find(ids->begin(), ids->end(), read) == ids->end())
      return error{errc::bad_argument, "job '" + job + "' has no retained checkpoint " + std::to_string(read)
                                         + " (retained: " + list(names) + ")"};
    auto blobs = store.key_group_blobs(read, query.operator_uid);
    if (!blobs) return blobs.error_value();
    try {
      for (const auto& [kg, bytes] : *blobs) {
        auto what = "checkpoint " + std::to_string(read) + " operator '" + query.operator_uid + "' key group "
                    + std::to_string(kg);
        auto decoded = detail::decode_key_group_as_stored(bytes, what);
        if (!decoded) return decoded.error_value();
        const auto& [schema, state] = *decoded;
        for (size_t i = 0; i < state.entries.size(); ++i)
          if (auto json = entry_json(schema, kg, state.entries.entry(i), query.key, what)) line(*json);
      }
    } catch (const detail::state_error& e) {
      return error{e.code(), e.what()};
    }
    return {};
  });
  if (err) return err;
  return read;
}

} // namespace weir
