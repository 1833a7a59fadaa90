#include "nexmark/json.hpp"

#include <cstdio>

namespace weir::nexmark::detail {

namespace {

bool is_whitespace(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

bool is_digit(char c) noexcept {
  return c >= '0' && c <= '9';
}

int hex_value(char c) noexcept {
  if (is_digit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_high_surrogate(uint32_t cp) noexcept {
  return cp >= 0xD800 && cp <= 0xDBFF;
}

bool is_low_surrogate(uint32_t cp) noexcept {
  return cp >= 0xDC00 && cp <= 0xDFFF;
}

// `cp` is at most 0x10FFFF and not a surrogate: the caller combined pairs.
void append_utf8(uint32_t cp, std::string& out) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Negating through `magnitude - 1` keeps INT64_MIN (magnitude 2^63) free of
// signed overflow.
int64_t to_signed(uint64_t magnitude, bool negative) noexcept {
  if (!negative) return static_cast<int64_t>(magnitude);
  if (magnitude == 0) return 0;
  return -static_cast<int64_t>(magnitude - 1) - 1;
}

} // namespace

// -- the object's structure ---------------------------------------------------

expected<bool> json_object_reader::next(json_field& out) {
  if (state_ == state::failed)
    return error(errc::malformed_record, "read past an earlier JSON error");
  error err;
  if (state_ == state::start)
    err = open();
  else if (state_ == state::after_value)
    err = after_value();
  if (!err && (state_ == state::first_field || state_ == state::next_field)) err = read_field(out);
  if (err) return err;
  return state_ != state::done;
}

error json_object_reader::open() {
  skip_whitespace();
  if (pos_ == in_.size() || in_[pos_] != '{') return fail_expected("'{'");
  ++pos_;
  skip_whitespace();
  if (pos_ < in_.size() && in_[pos_] == '}') {
    ++pos_;
    return close();
  }
  state_ = state::first_field;
  return {};
}

error json_object_reader::after_value() {
  skip_whitespace();
  if (pos_ < in_.size() && in_[pos_] == ',') {
    ++pos_;
    skip_whitespace();
    state_ = state::next_field;
    return {};
  }
  if (pos_ < in_.size() && in_[pos_] == '}') {
    ++pos_;
    return close();
  }
  return fail_expected("',' or '}' after " + quoted(key_));
}

error json_object_reader::close() {
  skip_whitespace();
  if (pos_ != in_.size()) return fail(pos_, "trailing characters after the object");
  state_ = state::done;
  return {};
}

error json_object_reader::read_field(json_field& out) {
  if (pos_ == in_.size() || in_[pos_] != '"')
    return fail_expected(state_ == state::first_field ? "a field name or '}'" : "a field name");
  if (auto err = read_string(key_buf_, key_)) return err;
  skip_whitespace();
  if (pos_ == in_.size() || in_[pos_] != ':') return fail_expected("':' after " + quoted(key_));
  ++pos_;
  skip_whitespace();
  out = json_field{};
  out.key = key_;
  if (auto err = read_value(out)) return err;
  state_ = state::after_value;
  return {};
}

error json_object_reader::read_value(json_field& out) {
  out.column = pos_ + 1;
  if (pos_ == in_.size()) return fail_expected("a value for " + quoted(key_));
  const char c = in_[pos_];
  if (c == '"') {
    out.kind = json_kind::string;
    return read_string(text_buf_, out.text);
  }
  if (c == '-' || at_digit()) return read_number(out);
  if (c == 't' || c == 'f' || c == 'n') return read_literal(out);
  if (c == '{' || c == '[')
    return fail(pos_, "nested objects and arrays are not supported (in " + quoted(key_) + ")");
  return fail_expected("a value for " + quoted(key_));
}

// -- strings ------------------------------------------------------------------

error json_object_reader::read_string(std::string& buf, std::string_view& out) {
  const size_t open = pos_++;
  const size_t start = pos_;
  // Fast path: most strings have no escapes and are returned in place.
  for (; pos_ < in_.size(); ++pos_) {
    const auto c = static_cast<unsigned char>(in_[pos_]);
    if (c == '"') {
      out = in_.substr(start, pos_++ - start);
      return {};
    }
    if (c == '\\') break;
    if (c < 0x20) return fail(pos_, "unescaped control character in a string");
  }
  if (pos_ == in_.size()) return fail(open, "unterminated string");
  buf.assign(in_.data() + start, pos_ - start);
  return read_escaped(open, buf, out);
}

error json_object_reader::read_escaped(size_t open, std::string& buf, std::string_view& out) {
  while (pos_ < in_.size()) {
    const auto c = static_cast<unsigned char>(in_[pos_]);
    if (c == '"') {
      ++pos_;
      out = buf;
      return {};
    }
    if (c == '\\') {
      if (auto err = read_escape(open, buf)) return err;
      continue;
    }
    if (c < 0x20) return fail(pos_, "unescaped control character in a string");
    buf += static_cast<char>(c);
    ++pos_;
  }
  return fail(open, "unterminated string");
}

error json_object_reader::read_escape(size_t open, std::string& buf) {
  const size_t backslash = pos_;
  if (pos_ + 1 >= in_.size()) return fail(open, "unterminated string");
  const char c = in_[pos_ + 1];
  pos_ += 2;
  switch (c) {
  case '"':
  case '\\':
  case '/':
    buf += c;
    return {};
  case 'b':
    buf += '\b';
    return {};
  case 'f':
    buf += '\f';
    return {};
  case 'n':
    buf += '\n';
    return {};
  case 'r':
    buf += '\r';
    return {};
  case 't':
    buf += '\t';
    return {};
  case 'u':
    return read_unicode_escape(backslash, buf);
  default:
    break;
  }
  if (c > ' ' && c < 0x7f) return fail(backslash, std::string("invalid escape '\\") + c + "'");
  return fail(backslash, "invalid escape");
}

// Characters outside the Basic Multilingual Plane arrive as a UTF-16
// surrogate pair, "\uD83D\uDE00", and become one 4-byte UTF-8 sequence; a
// lone half has no UTF-8 encoding, so it is an error rather than mojibake.
error json_object_reader::read_unicode_escape(size_t backslash, std::string& buf) {
  uint32_t cp = 0;
  if (!read_hex4(cp)) return fail(backslash, "expected 4 hex digits after \\u");
  if (is_low_surrogate(cp)) return fail(backslash, "unpaired surrogate in a \\u escape");
  if (is_high_surrogate(cp)) {
    if (in_.substr(pos_, 2) != "\\u") return fail(backslash, "unpaired surrogate in a \\u escape");
    pos_ += 2;
    uint32_t low = 0;
    if (!read_hex4(low)) return fail(pos_ - 2, "expected 4 hex digits after \\u");
    if (!is_low_surrogate(low)) return fail(backslash, "unpaired surrogate in a \\u escape");
    cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
  }
  append_utf8(cp, buf);
  return {};
}

bool json_object_reader::read_hex4(uint32_t& out) noexcept {
  if (in_.size() - pos_ < 4) return false;
  uint32_t value = 0;
  for (size_t i = 0; i < 4; ++i) {
    const int digit = hex_value(in_[pos_ + i]);
    if (digit < 0) return false;
    value = value << 4 | static_cast<uint32_t>(digit);
  }
  pos_ += 4;
  out = value;
  return true;
}

// -- numbers and literals -----------------------------------------------------

error json_object_reader::read_number(json_field& out) {
  const size_t start = pos_;
  const bool negative = in_[pos_] == '-';
  if (negative) ++pos_;
  if (!at_digit()) return fail(start, "malformed number for " + quoted(key_));
  // JSON forbids leading zeros ("007"), which some writers use for octal.
  if (in_[pos_] == '0' && pos_ + 1 < in_.size() && is_digit(in_[pos_ + 1]))
    return fail(start, "malformed number for " + quoted(key_) + " (leading zero)");
  // One past INT64_MAX is representable when negative: INT64_MIN.
  const uint64_t limit = negative ? uint64_t{1} << 63 : uint64_t{INT64_MAX};
  uint64_t magnitude = 0;
  bool overflow = false;
  for (; at_digit(); ++pos_) {
    const auto digit = static_cast<uint64_t>(in_[pos_] - '0');
    if (overflow || magnitude > (limit - digit) / 10)
      overflow = true; // keep consuming digits: the value may be for an ignored field
    else
      magnitude = magnitude * 10 + digit;
  }
  bool real = false;
  if (auto err = read_fraction_and_exponent(start, real)) return err;
  out.kind = real ? json_kind::real : overflow ? json_kind::big_integer : json_kind::integer;
  if (out.kind == json_kind::integer) out.integer = to_signed(magnitude, negative);
  return {};
}

error json_object_reader::read_fraction_and_exponent(size_t start, bool& real) {
  if (pos_ < in_.size() && in_[pos_] == '.') {
    ++pos_;
    if (!at_digit()) return fail(start, "malformed number for " + quoted(key_));
    skip_digits();
    real = true;
  }
  if (pos_ < in_.size() && (in_[pos_] == 'e' || in_[pos_] == 'E')) {
    ++pos_;
    if (pos_ < in_.size() && (in_[pos_] == '+' || in_[pos_] == '-')) ++pos_;
    if (!at_digit()) return fail(start, "malformed number for " + quoted(key_));
    skip_digits();
    real = true;
  }
  return {};
}

error json_object_reader::read_literal(json_field& out) {
  static constexpr std::string_view words[] = {"true", "false", "null"};
  for (auto word : words) {
    if (in_.substr(pos_, word.size()) == word) {
      pos_ += word.size();
      out.kind = word == "null" ? json_kind::null : json_kind::boolean;
      return {};
    }
  }
  return fail_expected("a value for " + quoted(key_));
}

// -- helpers ------------------------------------------------------------------

void json_object_reader::skip_digits() noexcept {
  while (at_digit())
    ++pos_;
}

void json_object_reader::skip_whitespace() noexcept {
  while (pos_ < in_.size() && is_whitespace(in_[pos_]))
    ++pos_;
}

bool json_object_reader::at_digit() const noexcept {
  return pos_ < in_.size() && is_digit(in_[pos_]);
}

error json_object_reader::fail(size_t at, const std::string& what) {
  state_ = state::failed;
  return error(errc::malformed_record, "column " + std::to_string(at + 1) + ": " + what);
}

error json_object_reader::fail_expected(const std::string& what) {
  return fail(pos_, "expected " + what + (pos_ == in_.size() ? ", found end of line" : ""));
}

std::string quoted(std::string_view s) {
  constexpr size_t max_bytes = 64;
  std::string out = "\"";
  for (size_t i = 0; i < s.size() && i < max_bytes; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      char hex[5];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    }
  }
  if (s.size() > max_bytes) out += "...";
  out += '"';
  return out;
}

} // namespace weir::nexmark::detail
