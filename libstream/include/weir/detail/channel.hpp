#pragma once

#include <cstddef>
#include <cstdint>

#include "weir/detail/frame.hpp"

namespace weir::detail {

class output_channel;

/// Told by an output_channel when its batch needs attention. Implemented by
/// the task that owns the channels (actors/); called from the same thread.
class channel_listener {
public:
  virtual ~channel_listener() = default;
  /// The channel's batch reached its size limit and must be sealed.
  virtual void on_batch_full(output_channel& ch) = 0;
  /// The channel's batch received its first record (start the flush timer).
  virtual void on_batch_started(output_channel& ch) = 0;
};

/// The producer end of one channel as operators see it: a batch being filled.
/// Writers append records; the channel tells its listener when the batch is
/// full or newly started, so the per-record path is an append and two compares.
class output_channel {
public:
  output_channel(channel_listener& owner, uint32_t index, size_t batch_size,
                 size_t max_batch_bytes)
    : owner_(&owner), index_(index), batch_size_(batch_size),
      max_batch_bytes_(max_batch_bytes) {}

  template <class Append>
  void add(int64_t timestamp, Append&& append) {
    builder_.add(timestamp, std::forward<Append>(append));
    if (builder_.size() >= batch_size_ || builder_.payload_bytes() >= max_batch_bytes_)
      owner_->on_batch_full(*this);
    else if (builder_.size() == 1)
      owner_->on_batch_started(*this);
  }

  uint32_t index() const noexcept { return index_; }
  batch_builder& builder() noexcept { return builder_; }

private:
  channel_listener* owner_;
  uint32_t index_;
  size_t batch_size_;
  size_t max_batch_bytes_;
  batch_builder builder_;
};

} // namespace weir::detail
