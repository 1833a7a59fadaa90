#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "weir/detail/byte_buffer.hpp"

namespace weir {

/// Appends encoded values to a byte string. Not thread-safe; owned by one task.
class byte_writer {
public:
  /// Appends to `out`, which must outlive the writer.
  explicit byte_writer(std::string& out) : str_(&out) {}
  /// Runtime SPI: how edge writers encode into a batch.
  explicit byte_writer(detail::byte_buffer& out) : buf_(&out) {}

  /// Appends `size` bytes from `data` as they are.
  void put_raw(const void* data, size_t size) {
    // Both pointers are known where encode_value constructs the writer, so
    // the inlined codec keeps just one of the two branches.
    if (buf_ != nullptr)
      buf_->append(data, size);
    else
      str_->append(static_cast<const char*>(data), size);
  }

  /// Bytes written so far into the output (a codec aligning its data to
  /// words pads by it: a batch's payload starts word-aligned).
  size_t position() const noexcept { return buf_ != nullptr ? buf_->size() : str_->size(); }

  /// LEB128 unsigned varint: 1 byte for lengths under 128.
  void put_varint(uint64_t v) {
    char buf[10];
    size_t n = 0;
    while (v >= 0x80) {
      buf[n++] = static_cast<char>((v & 0x7f) | 0x80);
      v >>= 7;
    }
    buf[n++] = static_cast<char>(v);
    put_raw(buf, n);
  }

private:
  std::string* str_ = nullptr;
  detail::byte_buffer* buf_ = nullptr;
};

/// Reads encoded values from a bounded byte range. Never reads past the end:
/// a read that would is a failure, after which `ok()` is false and every
/// further read returns zeroes. Not thread-safe.
class byte_reader {
public:
  /// Reads the bytes `in` views; they must outlive the reader and every view
  /// get_view returns.
  explicit byte_reader(std::string_view in) : pos_(in.data()), end_(in.data() + in.size()) {}

  /// False once a read has failed or fail() was called.
  bool ok() const noexcept { return ok_; }
  /// True when every byte has been read.
  bool at_end() const noexcept { return pos_ == end_; }
  /// Marks the input malformed (a codec that found its bytes invalid).
  void fail() noexcept { ok_ = false; }
  /// Bytes not yet read.
  size_t remaining() const noexcept { return static_cast<size_t>(end_ - pos_); }

  /// Copies the next `size` bytes to `dst`. On failure (too few bytes, or an
  /// earlier failure) zero-fills `dst` and returns false.
  bool get_raw(void* dst, size_t size) {
    if (!ok_ || remaining() < size) {
      ok_ = false;
      std::memset(dst, 0, size);
      return false;
    }
    std::memcpy(dst, pos_, size);
    pos_ += size;
    return true;
  }

  /// Returns a view of the next `size` bytes, or an empty view on failure.
  std::string_view get_view(size_t size) {
    if (!ok_ || remaining() < size) {
      ok_ = false;
      return {};
    }
    std::string_view v(pos_, size);
    pos_ += size;
    return v;
  }

  /// Reads a LEB128 unsigned varint as byte_writer::put_varint writes it.
  /// Returns 0 and fails on one that is truncated or longer than 10 bytes.
  uint64_t get_varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (!ok_ || pos_ == end_) break;
      auto b = static_cast<uint8_t>(*pos_++);
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return v;
    }
    ok_ = false;
    return 0;
  }

private:
  const char* pos_;
  const char* end_;
  bool ok_ = true;
};

/// How a record type becomes bytes on a channel and back. Weir provides codecs
/// for arithmetic types, std::string, std::pair, std::tuple, std::vector and
/// std::variant;
/// specialize `weir::codec<T>` for your own types with the same two functions:
///
///   static void encode(const T& value, byte_writer& out);
///   static T decode(byte_reader& in);   // on bad input: return anything, in.ok() is false
///
/// `decode` must never read past the reader's end; the reader enforces it.
///
/// A codec may also say how its type is named in checkpoints, so that state
/// can be read without the job's code: `static std::string type_name();`.
template <class T, class Enable = void>
struct codec {
  // No codec: has_codec_v<T> is false, and the API reports it once with a
  // static_assert where the type is used; these stand-ins keep that the only
  // error reported.
  /// Marks the primary template: T has no codec (has_codec_v<T> is false).
  static constexpr bool weir_missing_codec = true;
  /// Stand-in: writes nothing (the missing codec is reported where T is used).
  static void encode(const T&, byte_writer&) {}
  /// Stand-in: returns `T{}` (the missing codec is reported where T is used).
  static T decode(byte_reader&) { return T{}; }
};

// Byte order: every built-in codec, frame and snapshot is little-endian, as
// Cap'n Proto is, so bytes written on one machine read the same on another
// (a checkpoint moved, a node of a cluster). Numbers are copied as they lie
// in memory, which is little-endian on every host Weir builds for (x86-64,
// AArch64); a big-endian host is refused here rather than silently writing
// another format.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "weir: the built-in codecs write numbers little-endian by copying them; "
              "Weir builds on little-endian hosts only");

/// Arithmetic types: the value's sizeof(T) bytes as they lie in memory.
template <class T>
struct codec<T, std::enable_if_t<std::is_arithmetic_v<T>>> {
  /// Copies the value's bytes.
  static void encode(const T& value, byte_writer& out) { out.put_raw(&value, sizeof(T)); }
  /// Reads sizeof(T) bytes; zero on failure.
  static T decode(byte_reader& in) {
    T value;
    in.get_raw(&value, sizeof(T));
    return value;
  }
};

/// Strings: a varint byte length, then the bytes.
template <>
struct codec<std::string> {
  /// "string".
  static std::string type_name() { return "string"; }
  /// Writes the length, then the bytes.
  static void encode(const std::string& value, byte_writer& out) {
    out.put_varint(value.size());
    out.put_raw(value.data(), value.size());
  }
  /// Reads the length and that many bytes; empty on failure.
  static std::string decode(byte_reader& in) {
    auto size = in.get_varint();
    return std::string(in.get_view(static_cast<size_t>(size)));
  }
  /// Into an existing string, reusing its capacity.
  static void decode_into(byte_reader& in, std::string& out) {
    auto size = in.get_varint();
    auto view = in.get_view(static_cast<size_t>(size));
    out.assign(view.data(), view.size());
  }
};

namespace detail {
template <class T, class = void>
struct has_decode_into : std::false_type {};
template <class T>
struct has_decode_into<T, std::void_t<decltype(codec<T>::decode_into(std::declval<byte_reader&>(), std::declval<T&>()))>>
  : std::true_type {};
} // namespace detail

/// Decodes a T into `out`, reusing the memory `out` holds (a string's
/// capacity, a pair's or tuple's members) where T's codec has a
/// `static void decode_into(byte_reader&, T&)`; else `out = decode(in)`.
/// The runtime decodes every record of a batch into one such value.
template <class T>
void decode_into(byte_reader& in, T& out) {
  if constexpr (detail::has_decode_into<T>::value)
    codec<T>::decode_into(in, out);
  else
    out = codec<T>::decode(in);
}

template <class T>
std::string type_name_of();

/// Pairs: `first`, then `second`, each with its own codec.
template <class A, class B>
struct codec<std::pair<A, B>> {
  /// "pair<A,B>", with A's and B's names.
  static std::string type_name() { return "pair<" + type_name_of<A>() + "," + type_name_of<B>() + ">"; }
  /// Writes `first`, then `second`.
  static void encode(const std::pair<A, B>& value, byte_writer& out) {
    codec<A>::encode(value.first, out);
    codec<B>::encode(value.second, out);
  }
  /// Reads `first`, then `second`.
  static std::pair<A, B> decode(byte_reader& in) {
    A a = codec<A>::decode(in);
    B b = codec<B>::decode(in);
    return {std::move(a), std::move(b)};
  }
  /// Into `out`, reusing each member's memory.
  static void decode_into(byte_reader& in, std::pair<A, B>& out) {
    weir::decode_into(in, out.first);
    weir::decode_into(in, out.second);
  }
};

/// Tuples: each element in order, each with its own codec; no count.
template <class... Ts>
struct codec<std::tuple<Ts...>> {
  /// "tuple<...>", with the elements' names.
  static std::string type_name() {
    std::string names;
    ((names += (names.empty() ? "" : ",") + type_name_of<Ts>()), ...);
    return "tuple<" + names + ">";
  }
  /// Writes the elements in order.
  static void encode(const std::tuple<Ts...>& value, byte_writer& out) {
    std::apply([&](const auto&... xs) { (codec<std::decay_t<decltype(xs)>>::encode(xs, out), ...); },
               value);
  }
  /// Reads the elements in order.
  static std::tuple<Ts...> decode(byte_reader& in) {
    // Braced initialization evaluates left to right, matching encode's order.
    return std::tuple<Ts...>{codec<Ts>::decode(in)...};
  }
  /// Into `out`, reusing each element's memory.
  static void decode_into(byte_reader& in, std::tuple<Ts...>& out) {
    std::apply([&](auto&... xs) { (weir::decode_into(in, xs), ...); }, out); // a fold: left to right
  }
};

/// Vectors: a varint element count, then each element with T's codec.
template <class T>
struct codec<std::vector<T>> {
  /// "list<T>", with T's name.
  static std::string type_name() { return "list<" + type_name_of<T>() + ">"; }
  /// Writes the count, then the elements.
  static void encode(const std::vector<T>& value, byte_writer& out) {
    out.put_varint(value.size());
    for (const auto& x : value) codec<T>::encode(x, out);
  }
  /// Reads the count, then the elements. A count above the bytes left fails
  /// the reader before anything is allocated.
  static std::vector<T> decode(byte_reader& in) {
    auto size = in.get_varint();
    std::vector<T> result;
    // Each element takes at least one byte, so a size beyond the input is malformed;
    // checking first stops a hostile length from allocating gigabytes.
    if (size > in.remaining()) {
      in.get_view(in.remaining() + 1);
      return result;
    }
    result.reserve(static_cast<size_t>(size));
    for (uint64_t i = 0; i < size && in.ok(); ++i) result.push_back(codec<T>::decode(in));
    return result;
  }
};

/// Variants: the varint index of the alternative held, then its value with
/// that alternative's codec.
template <class... Ts>
struct codec<std::variant<Ts...>> {
  /// "variant<...>", with the alternatives' names.
  static std::string type_name() {
    std::string names;
    ((names += (names.empty() ? "" : ",") + type_name_of<Ts>()), ...);
    return "variant<" + names + ">";
  }
  /// Writes the index, then the alternative held.
  static void encode(const std::variant<Ts...>& value, byte_writer& out) {
    out.put_varint(value.index());
    std::visit([&](const auto& x) { codec<std::decay_t<decltype(x)>>::encode(x, out); }, value);
  }
  /// Reads the index, then that alternative. An index past the alternatives
  /// fails the reader.
  static std::variant<Ts...> decode(byte_reader& in) {
    auto index = in.get_varint();
    return decode_alternative(in, index, std::index_sequence_for<Ts...>{});
  }
  /// Into `out`: in place when it holds the same alternative.
  static void decode_into(byte_reader& in, std::variant<Ts...>& out) {
    auto index = in.get_varint();
    if (index == out.index())
      std::visit([&](auto& x) { weir::decode_into(in, x); }, out);
    else
      out = decode_alternative(in, index, std::index_sequence_for<Ts...>{});
  }

private:
  template <size_t... Is>
  static std::variant<Ts...> decode_alternative(byte_reader& in, uint64_t index,
                                                std::index_sequence<Is...>) {
    std::variant<Ts...> result;
    bool known = ((index == Is ? (result.template emplace<Is>(codec<Ts>::decode(in)), true) : false) || ...);
    if (!known) in.get_view(in.remaining() + 1); // an index past the alternatives: malformed
    return result;
  }
};

namespace detail {
template <class C, class = void>
struct codec_present : std::true_type {};
template <class C>
struct codec_present<C, std::void_t<decltype(C::weir_missing_codec)>> : std::false_type {};

template <class T>
struct has_codec : codec_present<codec<T>> {};
template <class A, class B>
struct has_codec<std::pair<A, B>> : std::conjunction<has_codec<A>, has_codec<B>> {};
template <class... Ts>
struct has_codec<std::tuple<Ts...>> : std::conjunction<has_codec<Ts>...> {};
template <class T>
struct has_codec<std::vector<T>> : has_codec<T> {};
template <class... Ts>
struct has_codec<std::variant<Ts...>> : std::conjunction<has_codec<Ts>...> {};
} // namespace detail

/// Whether T (and every type inside it) has a codec.
template <class T>
constexpr bool has_codec_v = detail::has_codec<T>::value;

namespace detail {
template <class C, class = void>
struct has_type_name : std::false_type {};
template <class C>
struct has_type_name<C, std::void_t<decltype(C::type_name())>> : std::true_type {};
} // namespace detail

/// How T is named in checkpoints and savepoints: "int64", "float64", "bool",
/// "string", "pair<A,B>", "tuple<...>", "list<T>", "variant<...>", the state
/// types' "value<V>", "list<V>", "map<K,V>"; a codec's own type_name(); or
/// "custom" for a user codec that gives none (its bytes are then opaque to
/// readers without the job's code).
template <class T>
std::string type_name_of() {
  if constexpr (std::is_same_v<T, bool>)
    return "bool";
  else if constexpr (std::is_integral_v<T>)
    return (std::is_signed_v<T> ? "int" : "uint") + std::to_string(8 * sizeof(T));
  else if constexpr (std::is_floating_point_v<T>)
    return "float" + std::to_string(8 * sizeof(T));
  else if constexpr (detail::has_type_name<codec<T>>::value)
    return codec<T>::type_name();
  else
    return "custom";
}

/// Encodes `value` with its codec, appending to `out`.
template <class T>
void encode_value(const T& value, std::string& out) {
  byte_writer w(out);
  codec<T>::encode(value, w);
}

/// Encodes `value` with its codec, appending to a batch's payload.
template <class T>
void encode_value(const T& value, detail::byte_buffer& out) {
  byte_writer w(out);
  codec<T>::encode(value, w);
}

/// Decodes one whole value: fails unless `bytes` holds exactly one encoded T.
template <class T>
bool decode_value(std::string_view bytes, T& out) {
  byte_reader r(bytes);
  out = codec<T>::decode(r);
  return r.ok() && r.at_end();
}

} // namespace weir
