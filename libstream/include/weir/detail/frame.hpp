#pragma once

// Frames on a channel: building them (batch_builder) and the single decode
// boundary for bytes that arrive from a channel (decode_frame). Runtime SPI:
// used by actors/ and tests, not by jobs. No Cap'n Proto types leak from here.

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include <type_traits>

#include "weir/detail/byte_buffer.hpp"
#include "weir/error.hpp"

namespace weir::detail {

/// The timestamp of a record that has none (no event time assigned).
constexpr int64_t no_timestamp = INT64_MIN;

/// Limits applied to every frame before and while it is read.
struct decode_limits {
  /// Frames larger than this are rejected before Cap'n Proto sees them.
  size_t max_frame_bytes = 64u << 20;
  /// Segment tables larger than this are rejected (a valid Weir frame has one).
  uint32_t max_segments = 64;
  /// Cap'n Proto nesting limit; a Weir frame nests 3 deep.
  int nesting_limit = 16;
};

/// A validated frame. Holds pointers into the bytes it was decoded from: those
/// bytes must outlive the view and not move. Every accessor is bounds-safe
/// because decode_frame checked the whole frame.
class frame_view {
public:
  enum class kind : uint8_t { data, end_of_input, watermark, idle, barrier };

  kind type() const noexcept { return kind_; }
  uint32_t channel() const noexcept { return channel_; }
  uint64_t sequence() const noexcept { return sequence_; }

  /// The watermark of a watermark frame.
  int64_t watermark() const noexcept { return watermark_; }
  /// The checkpoint id of a barrier frame.
  uint64_t checkpoint() const noexcept { return checkpoint_; }
  /// Whether a barrier frame starts a savepoint rather than a checkpoint.
  bool savepoint() const noexcept { return savepoint_; }

  /// Number of records (0 for a control frame).
  size_t size() const noexcept { return count_; }

  std::string_view value(size_t i) const noexcept {
    uint32_t begin = offset(i);
    return {payload_ + begin, offset(i + 1) - begin};
  }

  int64_t timestamp(size_t i) const noexcept {
    if (timestamps_ == nullptr) return no_timestamp;
    int64_t ts;
    std::memcpy(&ts, timestamps_ + 8 * i, 8);
    return ts;
  }

private:
  friend expected<frame_view> decode_frame(const char*, size_t, const decode_limits&);

  uint32_t offset(size_t i) const noexcept {
    uint32_t v;
    std::memcpy(&v, offsets_ + 4 * i, 4);
    return v;
  }

  kind kind_ = kind::end_of_input;
  uint32_t channel_ = 0;
  uint64_t sequence_ = 0;
  int64_t watermark_ = 0;
  uint64_t checkpoint_ = 0;
  bool savepoint_ = false;
  size_t count_ = 0;
  const char* timestamps_ = nullptr;
  const char* offsets_ = nullptr;
  const char* payload_ = nullptr;
};

/// Decodes and validates a frame: size cap, word alignment and length,
/// segment table, Cap'n Proto structure (with explicit limits), and the batch's
/// own invariants (offsets monotonic and within the payload). Never throws;
/// every failure is an errc::malformed_frame error saying what was wrong.
/// `data` must be 8-byte aligned (callers holding unaligned bytes copy them).
expected<frame_view> decode_frame(const char* data, size_t size,
                                  const decode_limits& limits = {});

/// Frames decode_frame rejected in this process so far (a metric).
uint64_t rejected_frames() noexcept;

/// Accumulates records for one channel and seals them into a data frame.
/// Not thread-safe; owned by one task.
class batch_builder {
public:
  /// Appends the encoded value of one record. `append` receives the payload
  /// (a byte_buffer, or a std::string if it only accepts one) and must append
  /// exactly that record's bytes.
  template <class Append>
  void add(int64_t timestamp, Append&& append) {
    if constexpr (std::is_invocable_v<Append&, byte_buffer&>) {
      append(payload_);
    } else {
      std::string bytes; // a std::string writer: one extra copy, off the edge writers' path
      append(bytes);
      payload_.append(bytes.data(), bytes.size());
    }
    offsets_.push_back(static_cast<uint32_t>(payload_.size()));
    if (timestamp != no_timestamp || has_timestamps_) add_timestamp(timestamp);
  }

  size_t size() const noexcept { return offsets_.size() - 1; }
  bool empty() const noexcept { return offsets_.size() == 1; }
  size_t payload_bytes() const noexcept { return payload_.size(); }

  /// Seals the records added so far into a data frame addressed to `channel`
  /// and resets the builder. Throws std::length_error if the frame would
  /// exceed `max_frame_bytes` (one record too large for any frame).
  std::vector<char> seal(uint32_t channel, uint64_t sequence,
                         size_t max_frame_bytes = decode_limits{}.max_frame_bytes);

private:
  // Timestamps are stored from the first record that has one: a batch without
  // event time costs nothing per record for them.
  void add_timestamp(int64_t timestamp) {
    if (!has_timestamps_) {
      timestamps_.assign(size() - 1, no_timestamp);
      has_timestamps_ = true;
    }
    timestamps_.push_back(timestamp);
  }

  byte_buffer payload_;
  std::vector<uint32_t> offsets_{0};
  std::vector<int64_t> timestamps_;
  bool has_timestamps_ = false;
};

/// Builds the in-band end-of-input control frame for `channel`.
std::vector<char> make_end_of_input_frame(uint32_t channel, uint64_t sequence);
/// Builds an in-band watermark frame.
std::vector<char> make_watermark_frame(uint32_t channel, uint64_t sequence, int64_t watermark);
/// Builds an in-band idle frame (the producer has no input for now).
std::vector<char> make_idle_frame(uint32_t channel, uint64_t sequence);
/// Builds an in-band checkpoint barrier.
std::vector<char> make_barrier_frame(uint32_t channel, uint64_t sequence, uint64_t checkpoint,
                                     bool savepoint = false);

} // namespace weir::detail
