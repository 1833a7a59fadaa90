#pragma once

// The producer side of a task's output channels, free of CAF: a batch being
// filled per channel, sealed frames waiting for credit, control frames in
// band behind them.

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "weir/detail/channel.hpp"
#include "weir/detail/plan.hpp"
#include "weir/options.hpp"

namespace weir::runtime {

class task_transport;

/// A task's output channels. A data frame is sent only against credit; a
/// control frame needs none but never overtakes the data before it. A
/// channel holding a sealed frame it has no credit for is blocked; the task
/// stops producing while any channel is. Not thread-safe.
class output_gate final : public detail::channel_listener {
public:
  output_gate(const detail::physical_plan& plan, uint32_t task, const runtime_options& options,
              task_transport& transport);

  uint32_t size() const noexcept { return static_cast<uint32_t>(outputs_.size()); }
  detail::output_channel* channel(uint32_t ch) { return outputs_[ch].batch.get(); }

  /// The consumer granted `frames` more on `ch`: sends what waited for it.
  void on_credit(uint32_t ch, uint32_t frames);
  /// The flush timer fired: seals partial batches of channels with nothing
  /// waiting (a blocked channel keeps its partial batch: memory stays bounded).
  void on_flush_timer();
  /// Seals partial batches and queues a control frame `make(consumer channel,
  /// sequence)` on every output, behind the records before it.
  template <class Make>
  void broadcast(Make&& make, bool barrier = false) {
    for (uint32_t ch = 0; ch < outputs_.size(); ++ch) {
      auto& out = outputs_[ch];
      if (!out.batch->builder().empty()) seal(ch);
      out.pending.push_back({make(out.consumer_channel, out.next_sequence++), true, barrier});
      unsent_barriers_ += barrier ? 1 : 0;
      try_send(ch);
    }
  }

  /// Barriers queued behind data that waits for credit (over all channels).
  size_t unsent_barriers() const noexcept { return unsent_barriers_; }

  /// Channels holding frames they have no credit for; the task produces
  /// nothing more while this is non-zero.
  const size_t& blocked() const noexcept { return blocked_; }
  /// Frames sealed or queued and not yet sent, over all channels.
  size_t pending_frames() const noexcept;
  uint64_t records_out() const noexcept { return records_out_; }
  /// Credit held (frames that may still be sent), over all channels.
  uint64_t credits() const noexcept;
  /// Whether consumers were last told this task is idle (sealing records
  /// makes it active again).
  bool idle() const noexcept { return idle_; }
  void set_idle(bool idle) noexcept { idle_ = idle; }

  // channel_listener
  void on_batch_full(detail::output_channel& ch) override;
  void on_batch_started(detail::output_channel& ch) override;

private:
  struct pending_frame {
    std::vector<char> bytes;
    bool control = false;
    bool barrier = false;
  };
  struct output {
    std::unique_ptr<detail::output_channel> batch;
    std::deque<pending_frame> pending;
    uint32_t credit = 0;
    uint64_t next_sequence = 0;
    uint32_t consumer_channel = 0; // the consumer's input channel this one feeds
    bool blocked = false;          // holds sealed data it has no credit for
  };

  void seal(uint32_t ch);
  void try_send(uint32_t ch);
  void arm_flush();

  task_transport& transport_;
  std::chrono::milliseconds buffer_timeout_;
  std::vector<output> outputs_;
  size_t blocked_ = 0;
  size_t unsent_barriers_ = 0;
  uint64_t records_out_ = 0;
  bool flush_armed_ = false;
  bool idle_ = false;
};

} // namespace weir::runtime
