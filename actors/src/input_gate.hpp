#pragma once

// The consumer side of a task's input channels, free of CAF: every frame from
// a channel passes the decode boundary and the channel protocol checks here,
// then waits in its channel's queue until the task takes it.

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "weir/detail/frame.hpp"
#include "weir/error.hpp"

namespace weir::runtime {

/// A task's input channels. Frames are queued per channel and handed out
/// oldest first over the channels that are not held (barrier alignment holds
/// a channel back; its frames then wait under its credit).
///
/// Bounded: a channel holds at most the data frames it had credit for; runs
/// of watermark and idle frames between two other frames are coalesced into
/// at most two entries (they only say where event time is), and a channel
/// with more than `max_control` other control frames queued is a protocol
/// error. Not thread-safe.
class input_gate {
public:
  using kind = detail::frame_view::kind;

  /// One queued frame. Control frames keep only what they say.
  struct entry {
    kind type = kind::data;
    int64_t watermark = 0;      ///< Watermark frames.
    uint64_t checkpoint = 0;    ///< Barrier frames.
    bool savepoint = false;     ///< Barrier frames.
    std::vector<char> bytes;    ///< Data frames: owns what `view` points into.
    detail::frame_view view;    ///< Data frames.
    size_t cursor = 0;          ///< Data frames: records already processed.
    uint64_t arrival = 0;
  };

  /// `name` names the task in errors.
  input_gate(std::string name, uint32_t channels, uint32_t max_control = 64);

  /// Validates a frame from channel `ch` (decode boundary, addressing,
  /// sequence, credit, nothing after end of input) and queues it. An error
  /// names the task and channel; after one, the gate must be discarded.
  error accept(uint32_t ch, std::vector<char> bytes);

  /// The channel whose front frame arrived first among those not held.
  std::optional<uint32_t> next() const;
  entry& front(uint32_t ch) { return channels_[ch].queue.front(); }
  void pop(uint32_t ch);

  /// Holds channel `ch` back (alignment) or releases it.
  void hold(uint32_t ch, bool held) { channels_[ch].held = held; }
  bool held(uint32_t ch) const { return channels_[ch].held; }
  /// The task granted `frames` more credit on `ch`.
  void granted(uint32_t ch, uint32_t frames) { channels_[ch].credit += frames; }

  uint32_t size() const noexcept { return static_cast<uint32_t>(channels_.size()); }
  /// Frames queued over all channels.
  size_t queued() const noexcept;
  /// Frames queued on `ch`.
  size_t queued(uint32_t ch) const noexcept { return channels_[ch].queue.size(); }

private:
  struct channel {
    std::deque<entry> queue;
    uint64_t expected_sequence = 0;
    uint32_t credit = 0;   // granted and not yet used by the producer
    uint32_t control = 0;  // barrier and end frames queued
    bool ended = false;    // end of input received (not necessarily processed)
    bool held = false;
  };

  error check(uint32_t ch, const detail::frame_view& view) const;
  void queue_control(channel& c, entry e);
  std::string where(uint32_t ch) const;

  std::string name_;
  std::vector<channel> channels_;
  uint32_t max_control_;
  uint64_t arrivals_ = 0;
};

} // namespace weir::runtime
