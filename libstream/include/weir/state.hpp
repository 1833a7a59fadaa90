#pragma once

/// \file
/// Keyed state types. A keyed process function declares its per-key
/// state as a struct of these (and plain fields); Weir keeps one such struct
/// per key, partitioned by key group, so a snapshot or rescale moves whole
/// key groups. None is thread-safe: each is owned by one subtask.
///
/// Checkpoints store state self-described: a State struct names its fields,
/// so a checkpoint records each field's name and type and can be read without
/// the job's code:
///
///   struct fraud_state {
///     weir::value_state<bool> flagged;
///     weir::list_state<int64_t> amounts;
///     int64_t seen = 0; // a plain field: any type with a codec
///     void fields(weir::state_fields& f) { f("flagged", flagged)("amounts", amounts)("seen", seen); }
///   };
///
/// An empty struct has no fields; a State that is itself a type with a codec
/// is stored as one field named "value". Anything else fails to compile.

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "weir/codec.hpp"

namespace weir {

/// One value per key, or none.
template <class V>
class value_state {
public:
  /// Whether the key has a value.
  bool has_value() const noexcept { return value_.has_value(); }
  /// The value; requires has_value().
  const V& value() const { return *value_; }
  /// The value, or `fallback` when there is none.
  V value_or(V fallback) const { return value_ ? *value_ : std::move(fallback); }
  /// Sets the value, replacing any.
  void update(V v) { value_ = std::move(v); }
  /// Removes the value: has_value() is then false.
  void clear() noexcept { value_.reset(); }

private:
  std::optional<V> value_;
};

/// A list per key, in insertion order.
template <class V>
class list_state {
public:
  /// Appends `v`.
  void add(V v) { values_.push_back(std::move(v)); }
  /// The values, in insertion order. Valid until the list is next changed.
  const std::vector<V>& get() const noexcept { return values_; }
  /// Whether the list has no values.
  bool empty() const noexcept { return values_.empty(); }
  /// Replaces the whole list with `values`.
  void update(std::vector<V> values) { values_ = std::move(values); }
  /// Removes every value.
  void clear() noexcept { values_.clear(); }

private:
  std::vector<V> values_;
};

/// A map per key, ordered by its keys (so iteration is deterministic).
template <class UK, class UV>
class map_state {
public:
  /// Sets the value for `k`, replacing any.
  void put(UK k, UV v) { map_[std::move(k)] = std::move(v); }
  /// Whether `k` has a value.
  bool contains(const UK& k) const { return map_.count(k) > 0; }
  /// The value for `k`, or nullptr.
  const UV* get(const UK& k) const {
    auto it = map_.find(k);
    return it == map_.end() ? nullptr : &it->second;
  }
  /// Removes `k` and its value; nothing when `k` is absent.
  void remove(const UK& k) { map_.erase(k); }
  /// Every entry, in key order. Valid until the map is next changed.
  const std::map<UK, UV>& entries() const noexcept { return map_; }
  /// Whether the map has no entries.
  bool empty() const noexcept { return map_.empty(); }
  /// Removes every entry.
  void clear() noexcept { map_.clear(); }

private:
  std::map<UK, UV> map_;
};

/// One value per key, folded with F(const V&, const V&) -> V on every add.
template <class V, class F>
class reducing_state {
public:
  /// Empty, folding with `fn`.
  explicit reducing_state(F fn = F{}) : fn_(std::move(fn)) {}
  /// Folds `v` into the value: the first add after empty keeps `v` as is,
  /// later ones store fn(value, v).
  void add(const V& v) { value_ = value_ ? fn_(*value_, v) : v; }
  /// Whether anything has been added since the state was empty.
  bool has_value() const noexcept { return value_.has_value(); }
  /// The folded value; requires has_value().
  const V& value() const { return *value_; }
  /// Drops the value (the fold function stays).
  void clear() noexcept { value_.reset(); }

private:
  F fn_;
  std::optional<V> value_;
};

// -- codecs: how state is stored in checkpoints --------------------------------

/// What a State's `void fields(weir::state_fields& f)` declares its members
/// to, in a fixed order: f("name", member)("other", other). Weir uses it to
/// write each member's name and type into checkpoints and to store and
/// restore the members. Every member type needs a codec.
class state_fields {
public:
  /// What a pass over the fields does, set by the constructor used: collect
  /// each field's name and type name (schema), or encode or decode each field
  /// in declaration order.
  enum class mode : uint8_t { schema, encode, decode };

  /// Declares one field. Its name identifies it in checkpoints: a restore
  /// checks stored names and types against the State's, and state evolution
  /// matches fields by name, so keep names unique and stable. Returns `*this`
  /// so calls chain.
  template <class T>
  state_fields& operator()(const char* name, T& member) {
    static_assert(has_codec_v<T>, "weir: a State field's type needs a codec to be checkpointed "
                                  "(value_state, list_state, map_state, reducing_state, or a type "
                                  "with a weir::codec)");
    if (mode_ == mode::schema)
      schema_->emplace_back(name, type_name_of<T>());
    else if (mode_ == mode::encode)
      codec<T>::encode(member, *writer_);
    else
      decode_into(member);
    return *this;
  }

  /// Runtime SPI: collects names and types into `out`.
  explicit state_fields(std::vector<std::pair<std::string, std::string>>& out)
    : mode_(mode::schema), schema_(&out) {}
  /// Runtime SPI: encodes the members into `out`.
  explicit state_fields(byte_writer& out) : mode_(mode::encode), writer_(&out) {}
  /// Runtime SPI: decodes the members from `in`.
  explicit state_fields(byte_reader& in) : mode_(mode::decode), reader_(&in) {}

private:
  template <class T>
  void decode_into(T& member) {
    member = codec<T>::decode(*reader_);
  }
  // In place: the member keeps its reduce function (a codec would build a
  // reducing_state with a default-constructed one).
  template <class V, class F>
  void decode_into(reducing_state<V, F>& member);

  mode mode_;
  std::vector<std::pair<std::string, std::string>>* schema_ = nullptr;
  byte_writer* writer_ = nullptr;
  byte_reader* reader_ = nullptr;
};

namespace detail {
/// A malformed optional flag or count: fail the reader (it reads past the end).
inline void reject(byte_reader& in) {
  in.get_view(in.remaining() + 1);
}

template <class V, class Set>
void decode_optional(byte_reader& in, Set&& set) {
  auto flag = in.get_varint();
  if (flag > 1)
    reject(in);
  else if (flag == 1)
    set(codec<V>::decode(in));
}
} // namespace detail

/// value_state: a varint flag (1 with a value, 0 without), then the value.
template <class V>
struct codec<value_state<V>> {
  /// "value<V>", with V's name.
  static std::string type_name() { return "value<" + type_name_of<V>() + ">"; }
  /// Writes the flag, then the value if there is one.
  static void encode(const value_state<V>& s, byte_writer& out) {
    out.put_varint(s.has_value() ? 1 : 0);
    if (s.has_value()) codec<V>::encode(s.value(), out);
  }
  /// Reads the flag and any value; a flag above 1 fails the reader.
  static value_state<V> decode(byte_reader& in) {
    value_state<V> s;
    detail::decode_optional<V>(in, [&](V v) { s.update(std::move(v)); });
    return s;
  }
};

/// reducing_state: stored as value_state is (the same bytes and type name);
/// the fold function is code, not state.
template <class V, class F>
struct codec<reducing_state<V, F>> {
  /// "value<V>", with V's name.
  static std::string type_name() { return "value<" + type_name_of<V>() + ">"; }
  /// Writes the flag, then the value if there is one.
  static void encode(const reducing_state<V, F>& s, byte_writer& out) {
    out.put_varint(s.has_value() ? 1 : 0);
    if (s.has_value()) codec<V>::encode(s.value(), out);
  }
  /// Reads the flag and any value into a state with a default-constructed F.
  /// A State's fields are decoded in place instead, keeping their F.
  static reducing_state<V, F> decode(byte_reader& in) {
    reducing_state<V, F> s;
    detail::decode_optional<V>(in, [&](const V& v) { s.add(v); }); // the first add keeps v as is
    return s;
  }
};

/// list_state: stored as std::vector<V> is (the same bytes and type name).
template <class V>
struct codec<list_state<V>> {
  /// "list<V>", with V's name.
  static std::string type_name() { return "list<" + type_name_of<V>() + ">"; }
  /// Writes the values as a vector.
  static void encode(const list_state<V>& s, byte_writer& out) { codec<std::vector<V>>::encode(s.get(), out); }
  /// Reads the values as a vector.
  static list_state<V> decode(byte_reader& in) {
    list_state<V> s;
    s.update(codec<std::vector<V>>::decode(in));
    return s;
  }
};

/// map_state: a varint entry count, then each key and its value, in key order.
template <class UK, class UV>
struct codec<map_state<UK, UV>> {
  /// "map<K,V>", with the key's and value's names.
  static std::string type_name() { return "map<" + type_name_of<UK>() + "," + type_name_of<UV>() + ">"; }
  /// Writes the count, then the entries in key order.
  static void encode(const map_state<UK, UV>& s, byte_writer& out) {
    out.put_varint(s.entries().size());
    for (const auto& [k, v] : s.entries()) {
      codec<UK>::encode(k, out);
      codec<UV>::encode(v, out);
    }
  }
  /// Reads the count and the entries; a count above the bytes left fails the
  /// reader.
  static map_state<UK, UV> decode(byte_reader& in) {
    map_state<UK, UV> s;
    auto n = in.get_varint();
    if (n > in.remaining()) detail::reject(in); // each entry takes a byte at least
    for (uint64_t i = 0; i < n && in.ok(); ++i) {
      UK k = codec<UK>::decode(in);
      UV v = codec<UV>::decode(in);
      s.put(std::move(k), std::move(v));
    }
    return s;
  }
};

template <class V, class F>
void state_fields::decode_into(reducing_state<V, F>& member) {
  member.clear();
  detail::decode_optional<V>(*reader_, [&](const V& v) { member.add(v); }); // the first add keeps v as is
}

namespace detail {
template <class V>
struct has_codec<value_state<V>> : has_codec<V> {};
template <class V, class F>
struct has_codec<reducing_state<V, F>> : has_codec<V> {};
template <class V>
struct has_codec<list_state<V>> : has_codec<V> {};
template <class UK, class UV>
struct has_codec<map_state<UK, UV>> : std::conjunction<has_codec<UK>, has_codec<UV>> {};
} // namespace detail

} // namespace weir
