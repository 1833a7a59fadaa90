#pragma once

// A reader for one flat JSON object per line: the Nexmark `--input` format.
// Private to the nexmark app; not a general JSON library.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "weir/error.hpp"

namespace weir::nexmark::detail {

/// What a field's value was. Numbers are classified rather than converted so
/// the caller decides: an ignored field may hold 1e300 or a 30-digit integer,
/// an integer field may not.
enum class json_kind : uint8_t {
  string,
  integer,     ///< No fraction or exponent, and fits in int64_t: see `integer`.
  big_integer, ///< No fraction or exponent, but outside int64_t.
  real,        ///< Has a fraction or an exponent.
  boolean,
  null,
};

/// One `"key": value` pair of the object.
struct json_field {
  /// The decoded key. Valid until the next call to `next`.
  std::string_view key;
  json_kind kind = json_kind::null;
  /// A string's decoded contents (escapes resolved, \u escapes as UTF-8).
  /// Valid until the next call to `next`; empty for other kinds.
  std::string_view text;
  /// The value when kind == json_kind::integer, else 0.
  int64_t integer = 0;
  /// 1-based byte column of the value's first character.
  size_t column = 0;
};

/// Pulls the fields of one flat JSON object out of `line`, in order.
///
/// Accepts exactly: optional whitespace, '{', zero or more `"key": value`
/// pairs separated by ',', '}', optional whitespace. Values are strings,
/// numbers, true, false or null; a nested object or array is an error.
/// Raw bytes inside strings are passed through unchecked (no UTF-8
/// validation); control characters must be escaped, as JSON requires.
///
/// Errors are errc::malformed_record with messages of the form
/// "column 17: expected ':' after \"id\"", columns counted in bytes from 1.
/// After an error the reader stays failed. Does not throw (except
/// std::bad_alloc). Does not own `line`, which must outlive the reader.
/// Not thread-safe.
class json_object_reader {
public:
  explicit json_object_reader(std::string_view line) noexcept : in_(line) {}

  /// Reads the next field into `out`: true if there was one, false once the
  /// object is closed and the rest of the line is whitespace, or an error.
  expected<bool> next(json_field& out);

private:
  enum class state : uint8_t { start, first_field, next_field, after_value, done, failed };

  error open();
  error after_value();
  error close();
  error read_field(json_field& out);
  error read_value(json_field& out);
  error read_string(std::string& buf, std::string_view& out);
  error read_escaped(size_t open, std::string& buf, std::string_view& out);
  error read_escape(size_t open, std::string& buf);
  error read_unicode_escape(size_t backslash, std::string& buf);
  error read_number(json_field& out);
  error read_fraction_and_exponent(size_t start, bool& real);
  error read_literal(json_field& out);
  bool read_hex4(uint32_t& out) noexcept;
  void skip_digits() noexcept;
  void skip_whitespace() noexcept;
  bool at_digit() const noexcept;

  /// An error at `at` (0-based offset) with `what` as its message.
  error fail(size_t at, const std::string& what);
  /// "expected <what>" at the current position, noting the end of the line.
  error fail_expected(const std::string& what);

  std::string_view in_;
  size_t pos_ = 0;
  state state_ = state::start;
  std::string_view key_; // of the field just read, for error messages
  // Scratch for keys and strings that contain escapes; the common unescaped
  // case is returned as a view of the line without copying.
  std::string key_buf_;
  std::string text_buf_;
};

/// `s` in double quotes for an error message: at most 64 bytes of it, with
/// quotes, backslashes and bytes outside printable ASCII escaped, so a
/// hostile line cannot flood or split a log line.
std::string quoted(std::string_view s);

} // namespace weir::nexmark::detail
