#pragma once

#include <cstdint>
#include <vector>

namespace weir::runtime {

/// Aligned checkpoint barriers across a task's input channels, free of CAF.
/// When the barrier of checkpoint n arrives on a channel, that channel is
/// held (its later frames wait) until every channel has delivered barrier n
/// or ended; then the task snapshots and releases them all. A newer barrier
/// abandons an alignment in progress (its checkpoint was aborted); barriers
/// of finished or abandoned checkpoints are ignored. Not thread-safe.
class barrier_aligner {
public:
  enum class result : uint8_t {
    ignored, ///< A barrier of a checkpoint already finished or abandoned.
    holding, ///< Waiting for other channels: hold this one.
    aligned, ///< Every channel delivered it or ended: snapshot now.
  };

  explicit barrier_aligner(uint32_t channels) : arrived_(channels, false), ended_(channels, false) {}

  /// The barrier of checkpoint `id` was taken from channel `ch`.
  result on_barrier(uint32_t ch, uint64_t id);
  /// Channel `ch` ended; true when that completes the alignment in progress.
  bool on_end(uint32_t ch);
  /// Ends the alignment of `id` and any older one (snapshot taken, or the
  /// checkpoint aborted): releases every channel.
  void finish(uint64_t id);

  /// The checkpoint being aligned, or 0.
  uint64_t pending() const noexcept { return pending_; }
  /// Whether channel `ch` is held back.
  bool holds(uint32_t ch) const noexcept { return pending_ != 0 && arrived_[ch]; }

private:
  void start(uint64_t id);
  bool complete() const noexcept { return arrived_count_ + ended_count_ == arrived_.size(); }

  std::vector<bool> arrived_;
  std::vector<bool> ended_;
  uint32_t arrived_count_ = 0; // channels that delivered the pending barrier and did not end
  uint32_t ended_count_ = 0;
  uint64_t pending_ = 0;
  uint64_t finished_ = 0; // barriers up to this id are ignored
};

} // namespace weir::runtime
