#pragma once

/// \file Keyed state types. A keyed process function declares its per-key
/// state as a struct of these (and plain fields); Weir keeps one such struct
/// per key, partitioned by key group, so a later snapshot or rescale moves
/// whole key groups. None is thread-safe: each is owned by one subtask.

#include <map>
#include <optional>
#include <utility>
#include <vector>

namespace weir {

/// One value per key, or none.
template <class V>
class value_state {
public:
  bool has_value() const noexcept { return value_.has_value(); }
  /// The value; requires has_value().
  const V& value() const { return *value_; }
  /// The value, or `fallback` when there is none.
  V value_or(V fallback) const { return value_ ? *value_ : std::move(fallback); }
  void update(V v) { value_ = std::move(v); }
  void clear() noexcept { value_.reset(); }

private:
  std::optional<V> value_;
};

/// A list per key, in insertion order.
template <class V>
class list_state {
public:
  void add(V v) { values_.push_back(std::move(v)); }
  const std::vector<V>& get() const noexcept { return values_; }
  bool empty() const noexcept { return values_.empty(); }
  void update(std::vector<V> values) { values_ = std::move(values); }
  void clear() noexcept { values_.clear(); }

private:
  std::vector<V> values_;
};

/// A map per key, ordered by its keys (so iteration is deterministic).
template <class UK, class UV>
class map_state {
public:
  void put(UK k, UV v) { map_[std::move(k)] = std::move(v); }
  bool contains(const UK& k) const { return map_.count(k) > 0; }
  /// The value for `k`, or nullptr.
  const UV* get(const UK& k) const {
    auto it = map_.find(k);
    return it == map_.end() ? nullptr : &it->second;
  }
  void remove(const UK& k) { map_.erase(k); }
  const std::map<UK, UV>& entries() const noexcept { return map_; }
  bool empty() const noexcept { return map_.empty(); }
  void clear() noexcept { map_.clear(); }

private:
  std::map<UK, UV> map_;
};

/// One value per key, folded with F(const V&, const V&) -> V on every add.
template <class V, class F>
class reducing_state {
public:
  explicit reducing_state(F fn = F{}) : fn_(std::move(fn)) {}
  void add(const V& v) { value_ = value_ ? fn_(*value_, v) : v; }
  bool has_value() const noexcept { return value_.has_value(); }
  const V& value() const { return *value_; }
  void clear() noexcept { value_.reset(); }

private:
  F fn_;
  std::optional<V> value_;
};

} // namespace weir
