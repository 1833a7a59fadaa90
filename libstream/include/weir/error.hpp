#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>

namespace weir {

/// What went wrong, in categories a caller can act on. The message of an
/// `error` says where (file, line, operator uid, subtask, channel).
enum class errc : uint8_t {
  none = 0,         ///< No error.
  bad_argument,     ///< A caller passed a value the API or CLI does not accept.
  io,               ///< Reading or writing a file failed.
  malformed_frame,  ///< Bytes on a channel are not a valid Weir frame.
  malformed_record, ///< A record's bytes do not decode with its codec.
  protocol,         ///< A peer broke the channel protocol (sequence, channel, credit).
  operator_failed,  ///< A user function threw, or a task died.
  unknown_job,      ///< A node was asked for a job its binary does not contain.
  unreachable,      ///< A node or remote actor could not be reached.
  timed_out,        ///< A job did not finish within its time limit.
  corrupt_state,    ///< A checkpoint or its state cannot be read back.
  incompatible_state, ///< Stored state does not fit the job (another schema, operator, parallelism).
  cancelled,        ///< A control request cancelled the job.
};

/// Returns a stable lowercase name for `code`, e.g. "malformed_frame".
const char* to_string(errc code) noexcept;

/// A failure: a category plus a human-readable message naming what and where.
/// A value type; cheap to move, safe to copy.
class error {
public:
  /// No error: code() is errc::none and the message is empty.
  error() = default;
  /// An error of category `code`; `message` says what failed and where.
  error(errc code, std::string message) : code_(code), message_(std::move(message)) {}

  /// The category.
  errc code() const noexcept { return code_; }
  /// What failed and where, for people.
  const std::string& message() const noexcept { return message_; }
  /// True when this is an error (code() is not errc::none).
  explicit operator bool() const noexcept { return code_ != errc::none; }

  /// "malformed_frame: <message>"
  std::string to_string() const;

private:
  errc code_ = errc::none;
  std::string message_;
};

/// Either a value or an error. Minimal by design (C++17 has no std::expected).
template <class T>
class expected {
public:
  /// Holds `value`.
  expected(T value) : state_(std::move(value)) {}
  /// Holds the failure `err`.
  expected(error err) : state_(std::move(err)) {}

  /// True when it holds a value, false when an error.
  bool has_value() const noexcept { return state_.index() == 0; }
  /// As has_value().
  explicit operator bool() const noexcept { return has_value(); }

  /// The value; requires has_value() (else throws std::bad_variant_access).
  T& value() & { return std::get<0>(state_); }
  /// The value; requires has_value() (else throws std::bad_variant_access).
  const T& value() const& { return std::get<0>(state_); }
  /// Moves the value out; requires has_value() (else throws
  /// std::bad_variant_access).
  T&& value() && { return std::get<0>(std::move(state_)); }
  /// As value().
  T& operator*() & { return value(); }
  /// As value().
  const T& operator*() const& { return value(); }
  /// The value's members; requires has_value().
  T* operator->() { return &value(); }
  /// The value's members; requires has_value().
  const T* operator->() const { return &value(); }

  /// The error; requires !has_value() (else throws std::bad_variant_access).
  const error& error_value() const& { return std::get<1>(state_); }

private:
  std::variant<T, error> state_;
};

} // namespace weir
