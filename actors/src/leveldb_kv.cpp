#include "leveldb_kv.hpp"

#include <leveldb/db.h>
#include <leveldb/iterator.h>
#include <leveldb/options.h>
#include <leveldb/write_batch.h>

namespace weir::runtime {

namespace {

error from_status(const std::string& where, const leveldb::Status& s) {
  if (s.ok()) return {};
  return {s.IsCorruption() ? errc::corrupt_state : errc::io, where + ": LevelDB: " + s.ToString()};
}

leveldb::Options db_options(bool create_if_missing) {
  leveldb::Options o;
  o.create_if_missing = create_if_missing;
  o.paranoid_checks = true;
  // Blobs are Cap'n Proto state, written once and read at most at a restore;
  // bigger blocks and files keep the table count low for large state.
  o.write_buffer_size = 16u << 20;
  o.max_file_size = 16u << 20;
  // State is already compact (varints, columnar blobs); compressing it would
  // cost the store thread CPU on a small machine for little disk saved.
  o.compression = leveldb::kNoCompression;
  return o;
}

leveldb::ReadOptions verified() {
  leveldb::ReadOptions o;
  o.verify_checksums = true;
  o.fill_cache = false;
  return o;
}

} // namespace

expected<std::unique_ptr<leveldb_kv>> leveldb_kv::open(const std::string& dir, bool create_if_missing) {
  leveldb::DB* db = nullptr;
  auto s = leveldb::DB::Open(db_options(create_if_missing), dir, &db);
  if (!s.ok() && s.IsIOError() && s.ToString().find("lock") != std::string::npos)
    return error{errc::io, "state dir '" + dir + "' is in use by another process (a job running on it?): LevelDB: "
                             + s.ToString()};
  if (!s.ok()) return from_status("state dir '" + dir + "'", s);
  return std::unique_ptr<leveldb_kv>(new leveldb_kv(dir, db));
}

error leveldb_kv::repair(const std::string& dir) {
  return from_status("state dir '" + dir + "'", leveldb::RepairDB(dir, db_options(false)));
}

leveldb_kv::~leveldb_kv() {
  delete db_;
}

error leveldb_kv::write(const batch& b, bool sync) {
  leveldb::WriteBatch wb;
  for (const auto& [k, v] : b.puts) wb.Put(k, leveldb::Slice(v.data(), v.size()));
  for (const auto& k : b.deletes) wb.Delete(k);
  leveldb::WriteOptions o;
  o.sync = sync;
  return from_status(where(), db_->Write(o, &wb));
}

expected<std::optional<std::string>> leveldb_kv::get(const std::string& key) {
  std::string value;
  auto s = db_->Get(verified(), key, &value);
  if (s.IsNotFound()) return std::optional<std::string>{};
  if (!s.ok()) return from_status(where(), s);
  return std::optional<std::string>{std::move(value)};
}

error leveldb_kv::scan(const std::string& prefix, bool keys_only,
                       const std::function<bool(std::string_view, std::string_view)>& fn) {
  auto options = verified();
  options.verify_checksums = !keys_only;
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(options));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    auto k = it->key();
    std::string_view key(k.data(), k.size());
    std::string_view value;
    if (!keys_only) value = std::string_view(it->value().data(), it->value().size());
    if (!fn(key, value)) break;
  }
  return from_status(where(), it->status());
}

} // namespace weir::runtime
