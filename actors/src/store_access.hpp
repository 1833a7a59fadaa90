#pragma once

// A state directory opened to be read without running its job: what the
// `weir checkpoints`, `weir savepoint` and `weir state` commands share.
// Private to actors/.

#include <charconv>
#include <functional>
#include <optional>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "checkpoint_store.hpp"
#include "leveldb_kv.hpp"
#include "weir/checkpoints.hpp"

namespace weir::runtime {

/// Bytes as lowercase hex: how tools show what only a job's code can read.
inline std::string hex(std::string_view bytes) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

/// weir/checkpoints.hpp's query_state on an open store (its job's): what
/// `weir state query` asks offline and a running job answers through its
/// control endpoint. Returns the checkpoint read.
expected<uint64_t> query_store(checkpoint_store& store, const state_query& query,
                               const std::function<void(const std::string&)>& line);

inline expected<std::unique_ptr<leveldb_kv>> open_existing(const std::string& dir) {
  std::error_code ec;
  if (!std::filesystem::exists(dir + "/CURRENT", ec))
    return error{errc::io, "'" + dir + "' holds no state (no LevelDB there)"};
  return leveldb_kv::open(dir, false);
}

/// The jobs with a run record, or with checkpoints, in the store.
inline expected<std::vector<std::string>> jobs_in(kv_store& kv) {
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
  if (auto err = collect("sp/")) return err;
  return std::vector<std::string>(jobs.begin(), jobs.end());
}

/// Runs `per_job(store)` for each job of the state directory.
template <class F>
error for_each_job(const std::string& state_dir, F&& per_job) {
  auto db = open_existing(state_dir);
  if (!db) return db.error_value();
  std::shared_ptr<kv_store> kv(std::move(*db));
  auto jobs = jobs_in(*kv);
  if (!jobs) return jobs.error_value();
  for (const auto& job : *jobs) {
    // The store owns its kv: lend it the shared one without giving it away.
    struct borrowed final : kv_store {
      std::shared_ptr<kv_store> kv;
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

/// Runs `fn(store)` for job `job` of the state directory; an empty `job`
/// means its only job. Errors (errc::bad_argument) list the jobs there are.
template <class F>
error with_job(const std::string& state_dir, const std::string& job, F&& fn) {
  std::vector<std::string> jobs;
  bool found = false;
  auto err = for_each_job(state_dir, [&](checkpoint_store& store) -> error {
    jobs.push_back(store.job());
    return {};
  });
  if (err) return err;
  std::string wanted = job.empty() && jobs.size() == 1 ? jobs.front() : job;
  std::string names;
  for (const auto& n : jobs) names += (names.empty() ? "" : ", ") + n;
  if (names.empty()) names = "none";
  if (wanted.empty())
    return error{errc::bad_argument, "'" + state_dir + "' holds several jobs: say which (" + names + ")"};
  err = for_each_job(state_dir, [&](checkpoint_store& store) -> error {
    if (store.job() != wanted) return {};
    found = true;
    return fn(store);
  });
  if (err) return err;
  if (!found)
    return error{errc::bad_argument, "'" + state_dir + "' holds no job '" + wanted + "' (it holds: " + names + ")"};
  return {};
}

} // namespace weir::runtime
