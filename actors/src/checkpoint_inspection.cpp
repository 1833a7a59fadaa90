// weir/checkpoints.hpp: a state directory read without running its job.

#include <charconv>
#include <filesystem>
#include <set>

#include "checkpoint_store.hpp"
#include "leveldb_kv.hpp"
#include "weir/checkpoints.hpp"

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

} // namespace weir
