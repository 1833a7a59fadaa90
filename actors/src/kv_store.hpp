#pragma once

// The storage under the checkpoint store: ordered keys and values, written in
// atomic batches. A seam for faults: tests corrupt what is beneath it.

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "weir/error.hpp"

namespace weir::runtime {

/// An ordered key-value store. Not thread-safe: one owner (the store actor).
class kv_store {
public:
  /// Puts and deletes applied together, or not at all. A put either owns
  /// its value or views one the caller keeps alive until write() returns
  /// (state blobs are written without another copy).
  struct batch {
    std::vector<std::pair<std::string, std::string_view>> puts;
    std::vector<std::string> deletes;
    std::deque<std::string> owned;

    void put(std::string key, std::string value) {
      owned.push_back(std::move(value));
      puts.emplace_back(std::move(key), owned.back());
    }
    void put_view(std::string key, std::string_view value) { puts.emplace_back(std::move(key), value); }
  };

  virtual ~kv_store() = default;
  /// Applies `b` atomically; with `sync` it is on disk when this returns.
  virtual error write(const batch& b, bool sync) = 0;
  virtual expected<std::optional<std::string>> get(const std::string& key) = 0;
  /// Calls fn(key, value) for each key starting with `prefix`, in key order,
  /// until fn returns false. With `keys_only` the value passed is empty and
  /// checksums are not verified, so a damaged value does not hide the keys
  /// around it (reading the value later finds the damage).
  virtual error scan(const std::string& prefix, bool keys_only,
                     const std::function<bool(std::string_view, std::string_view)>& fn) = 0;
  /// Names the store in errors ("state dir 'x'").
  virtual std::string where() const = 0;
};

/// Keeps everything in memory: checkpoints survive restarts within the
/// process, not the process.
class memory_kv final : public kv_store {
public:
  error write(const batch& b, bool) override {
    for (const auto& [k, v] : b.puts) data_[k] = std::string(v);
    for (const auto& k : b.deletes) data_.erase(k);
    return {};
  }
  expected<std::optional<std::string>> get(const std::string& key) override {
    auto it = data_.find(key);
    if (it == data_.end()) return std::optional<std::string>{};
    return std::optional<std::string>{it->second};
  }
  error scan(const std::string& prefix, bool keys_only,
             const std::function<bool(std::string_view, std::string_view)>& fn) override {
    for (auto it = data_.lower_bound(prefix); it != data_.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it)
      if (!fn(it->first, keys_only ? std::string_view{} : std::string_view(it->second))) break;
    return {};
  }
  std::string where() const override { return "the in-memory checkpoint store"; }

private:
  std::map<std::string, std::string> data_;
};

} // namespace weir::runtime
