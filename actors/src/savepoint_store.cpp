// The checkpoint store's savepoints: named, versioned copies of complete
// checkpoints under sp/<job>/<name>/<version>/, never deleted but on request.

#include <algorithm>
#include <cctype>
#include <charconv>

#include "checkpoint_store.hpp"
#include "store_records.hpp"

namespace weir::runtime {

using namespace records;

namespace {

/// Blobs copied per write batch: a savepoint of any size is copied with
/// bounded memory.
constexpr uint64_t copy_batch_bytes = 64ull << 20;

std::string version_key(uint32_t version) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%010u", version);
  return buf;
}

} // namespace

error check_savepoint_name(const std::string& name) {
  if (name.empty() || name.size() > 64)
    return {errc::bad_argument, "a savepoint name has 1 to 64 characters ('" + name + "' has "
                                  + std::to_string(name.size()) + ")"};
  if (name[0] == '.') return {errc::bad_argument, "a savepoint name does not start with '.' ('" + name + "')"};
  for (unsigned char c : name)
    if (!std::isalnum(c) && c != '.' && c != '_' && c != '-')
      return {errc::bad_argument, "a savepoint name has only letters, digits, '.', '_' and '-' ('" + name + "')"};
  return {};
}

std::string checkpoint_store::savepoint_prefix(const std::string& name) const {
  return "sp/" + escape_key_part(job_) + "/" + escape_key_part(name) + "/";
}

std::string checkpoint_store::prefix_of(const snapshot_ref& at) const {
  if (at.is_savepoint()) return savepoint_prefix(at.savepoint) + version_key(at.version) + "/";
  return checkpoint_prefix(at.checkpoint);
}

expected<uint32_t> checkpoint_store::keep_as_savepoint(uint64_t id, savepoint_meta meta) {
  if (auto err = check_savepoint_name(meta.name)) return err;
  auto m = manifest(id);
  if (!m) return m.error_value();
  auto versions = savepoints();
  if (!versions) return versions.error_value();
  uint32_t version = 1;
  for (const auto& [name, v] : *versions)
    if (name == meta.name) version = std::max(version, v + 1);
  meta.version = version;
  snapshot_ref to(meta.name, version);
  auto prefix = prefix_of(to);
  kv_store::batch b;
  if (auto err = delete_prefix(prefix, b)) return err; // what a copy cut short left behind
  uint64_t batched = 0;
  for (const auto& ref : m->blobs) {
    auto blob = read_blob(id, ref);
    if (!blob) return blob.error_value();
    batched += blob->size();
    b.put(prefix + ref.key, std::move(*blob));
    if (batched >= copy_batch_bytes) {
      if (auto err = kv_->write(b, false)) return err;
      b = kv_store::batch{};
      batched = 0;
    }
  }
  // The manifest goes last, with everything before it synced: a savepoint
  // exists only once its manifest does.
  m->savepoint = std::move(meta);
  b.put(prefix + "manifest", encode_manifest(*m));
  if (auto err = kv_->write(b, true)) return err;
  return version;
}

expected<std::vector<std::pair<std::string, uint32_t>>> checkpoint_store::savepoints() {
  std::vector<std::pair<std::string, uint32_t>> out;
  auto prefix = "sp/" + escape_key_part(job_) + "/";
  std::string failure;
  auto err = kv_->scan(prefix, true, [&](std::string_view key, std::string_view) {
    auto rest = key.substr(prefix.size()); // <escaped name>/<version>/manifest
    constexpr std::string_view tail = "/manifest";
    if (rest.size() <= tail.size() + 11 || rest.substr(rest.size() - tail.size()) != tail) return true;
    auto version_text = rest.substr(rest.size() - tail.size() - 10, 10);
    if (rest[rest.size() - tail.size() - 11] != '/') return true;
    uint32_t version = 0;
    if (std::from_chars(version_text.data(), version_text.data() + 10, version).ec != std::errc{}) return true;
    auto escaped = rest.substr(0, rest.size() - tail.size() - 11);
    // Names are checked when kept ([A-Za-z0-9._-]), so escaping left them as they were.
    out.emplace_back(std::string(escaped), version);
    return true;
  });
  if (err) return err;
  std::sort(out.begin(), out.end());
  return out;
}

expected<uint32_t> checkpoint_store::latest_version(const std::string& name) {
  auto all = savepoints();
  if (!all) return all.error_value();
  uint32_t latest = 0;
  std::string names;
  for (const auto& [n, v] : *all) {
    if (n == name) latest = std::max(latest, v);
    if (names.find("'" + n + "'") == std::string::npos) names += (names.empty() ? "'" : ", '") + n + "'";
  }
  if (latest == 0)
    return error{errc::bad_argument, where() + " holds no savepoint '" + name + "' of job '" + job_ + "' ("
                                       + (names.empty() ? "it holds none" : "it holds " + names) + ")"};
  return latest;
}

expected<snapshot_ref> checkpoint_store::find_savepoint(const std::string& text) {
  auto at = text.rfind('@');
  std::string name = text.substr(0, at);
  uint32_t version = 0;
  if (at != std::string::npos) {
    auto digits = text.substr(at + 1);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), version);
    if (digits.empty() || ec != std::errc{} || end != digits.data() + digits.size() || version == 0)
      return error{errc::bad_argument, "savepoint '" + text + "': the version after '@' is a number from 1"};
  }
  if (auto err = check_savepoint_name(name)) return err;
  auto latest = latest_version(name);
  if (!latest) return latest.error_value();
  if (version == 0) return snapshot_ref(name, *latest);
  auto all = savepoints();
  if (!all) return all.error_value();
  std::string versions;
  for (const auto& [n, v] : *all) {
    if (n != name) continue;
    if (v == version) return snapshot_ref(name, version);
    versions += (versions.empty() ? "" : ", ") + std::to_string(v);
  }
  return error{errc::bad_argument, where() + ": savepoint '" + name + "' has no version " + std::to_string(version)
                                     + " (it has " + versions + ")"};
}

expected<uint32_t> checkpoint_store::delete_savepoint(const std::string& name, uint32_t version) {
  auto all = savepoints();
  if (!all) return all.error_value();
  kv_store::batch b;
  uint32_t deleted = 0;
  for (const auto& [n, v] : *all) {
    if (n != name || (version != 0 && v != version)) continue;
    if (auto err = delete_prefix(prefix_of(snapshot_ref(n, v)), b)) return err;
    ++deleted;
  }
  if (deleted == 0) { // says what there is
    auto found = find_savepoint(name + (version ? "@" + std::to_string(version) : ""));
    return found ? error{errc::bad_argument, where() + ": nothing to delete"} : found.error_value();
  }
  if (auto err = kv_->write(b, true)) return err;
  return deleted;
}

} // namespace weir::runtime
