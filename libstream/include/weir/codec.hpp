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
  explicit byte_writer(std::string& out) : str_(&out) {}
  /// Runtime SPI: how edge writers encode into a batch.
  explicit byte_writer(detail::byte_buffer& out) : buf_(&out) {}

  void put_raw(const void* data, size_t size) {
    // Both pointers are known where encode_value constructs the writer, so
    // the inlined codec keeps just one of the two branches.
    if (buf_ != nullptr)
      buf_->append(data, size);
    else
      str_->append(static_cast<const char*>(data), size);
  }

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
  explicit byte_reader(std::string_view in) : pos_(in.data()), end_(in.data() + in.size()) {}

  bool ok() const noexcept { return ok_; }
  bool at_end() const noexcept { return pos_ == end_; }
  size_t remaining() const noexcept { return static_cast<size_t>(end_ - pos_); }

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
/// for arithmetic types, std::string, std::pair, std::tuple and std::vector;
/// specialize `weir::codec<T>` for your own types with the same two functions:
///
///   static void encode(const T& value, byte_writer& out);
///   static T decode(byte_reader& in);   // on bad input: return anything, in.ok() is false
///
/// `decode` must never read past the reader's end; the reader enforces it.
template <class T, class Enable = void>
struct codec {
  static_assert(sizeof(T) == 0,
                "weir: no codec for this record type. Use arithmetic types, std::string, "
                "std::pair, std::tuple or std::vector, or specialize weir::codec<T> with "
                "static encode(const T&, byte_writer&) and static T decode(byte_reader&).");
  // Stand-ins so the failed assertion above is the only error reported.
  static void encode(const T&, byte_writer&) {}
  static T decode(byte_reader&) { return T{}; }
};

template <class T>
struct codec<T, std::enable_if_t<std::is_arithmetic_v<T>>> {
  static void encode(const T& value, byte_writer& out) { out.put_raw(&value, sizeof(T)); }
  static T decode(byte_reader& in) {
    T value;
    in.get_raw(&value, sizeof(T));
    return value;
  }
};

template <>
struct codec<std::string> {
  static void encode(const std::string& value, byte_writer& out) {
    out.put_varint(value.size());
    out.put_raw(value.data(), value.size());
  }
  static std::string decode(byte_reader& in) {
    auto size = in.get_varint();
    return std::string(in.get_view(static_cast<size_t>(size)));
  }
};

template <class A, class B>
struct codec<std::pair<A, B>> {
  static void encode(const std::pair<A, B>& value, byte_writer& out) {
    codec<A>::encode(value.first, out);
    codec<B>::encode(value.second, out);
  }
  static std::pair<A, B> decode(byte_reader& in) {
    A a = codec<A>::decode(in);
    B b = codec<B>::decode(in);
    return {std::move(a), std::move(b)};
  }
};

template <class... Ts>
struct codec<std::tuple<Ts...>> {
  static void encode(const std::tuple<Ts...>& value, byte_writer& out) {
    std::apply([&](const auto&... xs) { (codec<std::decay_t<decltype(xs)>>::encode(xs, out), ...); },
               value);
  }
  static std::tuple<Ts...> decode(byte_reader& in) {
    // Braced initialization evaluates left to right, matching encode's order.
    return std::tuple<Ts...>{codec<Ts>::decode(in)...};
  }
};

template <class T>
struct codec<std::vector<T>> {
  static void encode(const std::vector<T>& value, byte_writer& out) {
    out.put_varint(value.size());
    for (const auto& x : value) codec<T>::encode(x, out);
  }
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

template <class... Ts>
struct codec<std::variant<Ts...>> {
  static void encode(const std::variant<Ts...>& value, byte_writer& out) {
    out.put_varint(value.index());
    std::visit([&](const auto& x) { codec<std::decay_t<decltype(x)>>::encode(x, out); }, value);
  }
  static std::variant<Ts...> decode(byte_reader& in) {
    auto index = in.get_varint();
    return decode_alternative(in, index, std::index_sequence_for<Ts...>{});
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
