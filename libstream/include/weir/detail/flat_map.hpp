#pragma once

// The map keyed state lives in: open addressing with linear probing, keys
// and values inline in one array. Walking it (a snapshot walks every key) is
// a sequential scan, where std::unordered_map chases a pointer per key: on a
// VM each such miss cost 150-300 ns, so a snapshot of 2 M keys took over a
// third of a second. Runtime SPI.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <tuple>
#include <utility>

namespace weir::detail {

/// A hash map from K to V for one owner thread. Inserting may move elements
/// (references and iterators are invalidated by an insert or an erase);
/// erasing shifts later entries back, so no tombstones accumulate. Empty
/// slots hold no K or V. Movable, not copyable.
template <class K, class V, class Hash>
class flat_map {
public:
  using value_type = std::pair<K, V>;

  template <class Map, class Value>
  class basic_iterator {
  public:
    basic_iterator(Map* map, size_t at) : map_(map), at_(at) { skip(); }
    Value& operator*() const { return map_->slots_[at_].value; }
    Value* operator->() const { return &map_->slots_[at_].value; }
    basic_iterator& operator++() {
      ++at_;
      skip();
      return *this;
    }
    bool operator==(const basic_iterator& o) const { return at_ == o.at_; }
    bool operator!=(const basic_iterator& o) const { return at_ != o.at_; }

  private:
    friend class flat_map;
    void skip() {
      while (at_ < map_->capacity_ && !map_->used_[at_]) ++at_;
    }
    Map* map_;
    size_t at_;
  };
  using iterator = basic_iterator<flat_map, value_type>;
  using const_iterator = basic_iterator<const flat_map, const value_type>;

  flat_map() = default;
  flat_map(flat_map&& o) noexcept { swap(o); }
  flat_map& operator=(flat_map&& o) noexcept {
    flat_map gone(std::move(*this));
    swap(o);
    return *this;
  }
  flat_map(const flat_map&) = delete;
  flat_map& operator=(const flat_map&) = delete;
  ~flat_map() { clear(); }

  size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  iterator begin() { return {this, 0}; }
  iterator end() { return {this, capacity_}; }
  const_iterator begin() const { return {this, 0}; }
  const_iterator end() const { return {this, capacity_}; }

  iterator find(const K& key) {
    if (size_ == 0) return end();
    for (size_t i = home(key);; i = next(i)) {
      if (!used_[i]) return end();
      if (slots_[i].value.first == key) return {this, i};
    }
  }

  /// Inserts (key, V(args...)) unless `key` is there; returns where it is.
  template <class... Args>
  std::pair<iterator, bool> try_emplace(K key, Args&&... args) {
    if ((size_ + 1) * 4 > capacity_ * 3) grow();
    size_t i = home(key);
    for (; used_[i]; i = next(i))
      if (slots_[i].value.first == key) return {{this, i}, false};
    new (&slots_[i].value) value_type(std::piecewise_construct, std::forward_as_tuple(std::move(key)),
                                      std::forward_as_tuple(std::forward<Args>(args)...));
    used_[i] = 1;
    ++size_;
    return {{this, i}, true};
  }
  std::pair<iterator, bool> emplace(K key, V value) { return try_emplace(std::move(key), std::move(value)); }
  V& operator[](const K& key) { return try_emplace(key).first->second; }

  size_t erase(const K& key) {
    auto it = find(key);
    if (it == end()) return 0;
    erase(it);
    return 1;
  }

  /// Removes the entry at `it`, shifting back the entries after it that
  /// probed past it.
  void erase(iterator it) {
    size_t hole = it.at_;
    destroy(hole);
    --size_;
    for (size_t j = next(hole); used_[j]; j = next(j)) {
      size_t want = home(slots_[j].value.first);
      // It may move into the hole only if its home is not in (hole, j], cyclically.
      bool between = hole <= j ? (want > hole && want <= j) : (want > hole || want <= j);
      if (between) continue;
      new (&slots_[hole].value) value_type(std::move(slots_[j].value));
      used_[hole] = 1;
      destroy(j);
      hole = j;
    }
  }

  /// The longest distance of an entry from its home slot (a diagnostic:
  /// lookups probe that far at worst).
  size_t longest_probe() const {
    size_t longest = 0;
    for (size_t i = 0; i < capacity_; ++i)
      if (used_[i]) longest = std::max(longest, (i - home(slots_[i].value.first)) & (capacity_ - 1));
    return longest;
  }

  void clear() noexcept {
    for (size_t i = 0; i < capacity_; ++i)
      if (used_[i]) destroy(i);
    size_ = 0;
  }

private:
  union slot {
    slot() {}
    ~slot() {}
    value_type value;
  };

  // The high bits of a Fibonacci multiple: one map holds one key group, and
  // all its keys share the hash bits that chose the group (the low ones).
  size_t home(const K& key) const {
    return static_cast<size_t>((static_cast<uint64_t>(Hash{}(key)) * 0x9e3779b97f4a7c15ULL) >> shift_);
  }
  size_t next(size_t i) const { return (i + 1) & (capacity_ - 1); }

  void destroy(size_t i) noexcept {
    slots_[i].value.~value_type();
    used_[i] = 0;
  }

  void grow() {
    size_t capacity = capacity_ == 0 ? 16 : capacity_ * 2;
    auto old_slots = std::exchange(slots_, std::make_unique<slot[]>(capacity));
    auto old_used = std::exchange(used_, std::make_unique<uint8_t[]>(capacity)); // zeroed
    size_t old_capacity = std::exchange(capacity_, capacity);
    shift_ = 64;
    for (size_t c = capacity; c > 1; c >>= 1) --shift_;
    for (size_t i = 0; i < old_capacity; ++i) {
      if (!old_used[i]) continue;
      size_t j = home(old_slots[i].value.first);
      while (used_[j]) j = next(j);
      new (&slots_[j].value) value_type(std::move(old_slots[i].value));
      used_[j] = 1;
      old_slots[i].value.~value_type();
    }
  }

  void swap(flat_map& o) noexcept {
    std::swap(slots_, o.slots_);
    std::swap(used_, o.used_);
    std::swap(size_, o.size_);
    std::swap(capacity_, o.capacity_);
    std::swap(shift_, o.shift_);
  }

  std::unique_ptr<slot[]> slots_;
  std::unique_ptr<uint8_t[]> used_;
  size_t size_ = 0;
  size_t capacity_ = 0;
  unsigned shift_ = 64; // 64 - log2(capacity)
};

} // namespace weir::detail
