#pragma once

#include <memory>
#include <string>

#include "kv_store.hpp"

namespace leveldb {
class DB;
}

namespace weir::runtime {

/// A LevelDB in a state directory: paranoid checks on, checksums verified on
/// every read; the one adapter from leveldb::Status to weir::error (a
/// Corruption is errc::corrupt_state, the rest errc::io, each naming the
/// directory and LevelDB's message). Only one process may open a directory
/// at a time (LevelDB's lock): a second gets a clear error.
class leveldb_kv final : public kv_store {
public:
  /// Opens (creating if missing) the LevelDB in `dir`.
  static expected<std::unique_ptr<leveldb_kv>> open(const std::string& dir, bool create_if_missing = true);
  /// Rebuilds a LevelDB whose files are damaged (LevelDB's RepairDB). Loud by
  /// contract: callers say so first; what it cannot read is lost.
  static error repair(const std::string& dir);
  ~leveldb_kv() override;

  error write(const batch& b, bool sync) override;
  expected<std::optional<std::string>> get(const std::string& key) override;
  error scan(const std::string& prefix, bool keys_only,
             const std::function<bool(std::string_view, std::string_view)>& fn) override;
  std::string where() const override { return "state dir '" + dir_ + "'"; }

private:
  leveldb_kv(std::string dir, leveldb::DB* db) : dir_(std::move(dir)), db_(db) {}
  std::string dir_;
  leveldb::DB* db_;
};

} // namespace weir::runtime
