#pragma once

// The logic of one task (a chain of operator subtasks), free of CAF: input
// queue and credits, output channels with batching and flush timeouts, the
// processing loop with its yield budget, event time (watermarks combined over
// the inputs, idleness, end of input) and processing-time timers. task_actor
// is a thin shell that maps CAF messages onto it; tests drive it directly
// with a fake transport (test/support/fake_transport.hpp).

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "weir/detail/channel.hpp"
#include "weir/detail/plan.hpp"
#include "weir/error.hpp"
#include "weir/options.hpp"
#include "watermark_tracker.hpp"

namespace weir::runtime {

/// Counters a task reports when it finishes.
struct task_stats {
  uint64_t records_in = 0;      ///< Records read from input channels.
  uint64_t records_out = 0;     ///< Records sealed into output frames.
  uint64_t source_records = 0;  ///< Records emitted by a source in this task.
  uint64_t sink_records = 0;    ///< Records written by a sink in this task.
  uint64_t blocked_turns = 0;   ///< Times processing stopped for lack of credit.
  uint64_t late_records = 0;    ///< Records past their windows' allowed lateness.
};

/// What a task needs from its host (the actor, or a test).
class task_transport {
public:
  virtual ~task_transport() = default;
  virtual void send_frame(uint32_t out_channel, std::vector<char> bytes) = 0;
  virtual void grant_credit(uint32_t in_channel, uint32_t frames) = 0;
  /// Call on_resume() soon, after other actors had a turn.
  virtual void schedule_resume() = 0;
  /// Call on_resume() after `delay` (an idle source polls again).
  virtual void schedule_resume_after(std::chrono::milliseconds delay) = 0;
  /// Call on_flush_timer() after `delay`.
  virtual void schedule_flush(std::chrono::milliseconds delay) = 0;
  /// Call on_processing_timer() after `delay` (processing-time windows and timers).
  virtual void schedule_timer(std::chrono::milliseconds delay) = 0;
  /// All input processed and all output sent.
  virtual void finished(const task_stats& stats) = 0;
};

/// One task. Not thread-safe: its host calls it from one thread at a time.
/// Every entry point returns an empty error on success; after a non-empty
/// one the task is broken and must be discarded.
class task_core final : public detail::channel_listener {
public:
  task_core(const detail::job_graph& graph, const detail::physical_plan& plan, uint32_t task,
            const runtime_options& options, task_transport& transport);
  ~task_core() override;

  /// Opens the operators, grants initial credit, starts a source polling.
  error start();
  error on_frame(uint32_t in_channel, std::vector<char> bytes);
  error on_credit(uint32_t out_channel, uint32_t frames);
  error on_resume();
  error on_flush_timer();
  error on_processing_timer();

  bool finished() const noexcept { return finished_; }
  const task_stats& stats() const noexcept { return stats_; }
  /// Input frames received but not yet fully processed.
  size_t queued_frames() const noexcept { return queue_.size(); }
  /// Output channels whose sealed frames wait for credit.
  size_t blocked_outputs() const noexcept { return blocked_; }
  /// The last watermark sent downstream (INT64_MIN before the first).
  int64_t output_watermark() const noexcept { return output_watermark_; }
  /// Whether the task last told its consumers it is idle.
  bool idle() const noexcept { return output_idle_; }

  // channel_listener
  void on_batch_full(detail::output_channel& ch) override;
  void on_batch_started(detail::output_channel& ch) override;

private:
  struct pending_frame {
    std::vector<char> bytes;
    bool control = false; // control frames need no credit but never overtake data
  };
  struct output_state {
    std::unique_ptr<detail::output_channel> channel;
    std::deque<pending_frame> pending;
    uint32_t credit = 0;
    uint64_t next_sequence = 0;
    uint32_t consumer_channel = 0; // the consumer's input channel this channel feeds
    bool blocked = false; // holds sealed data it has no credit for
  };
  struct input_state {
    uint64_t expected_sequence = 0;
    uint32_t outstanding_credit = 0; // granted and not yet used by the producer
    bool ended = false; // end of input received (not necessarily processed)
  };
  struct queued_frame {
    std::vector<char> bytes; // owns what `view` points into
    detail::frame_view view;
    uint32_t channel = 0;
    size_t cursor = 0;
  };

  void build_chain(const detail::job_graph& graph, const detail::physical_plan& plan,
                   uint32_t task);
  detail::erased_collector writers_for_port(const detail::job_graph& graph,
                                            const detail::physical_plan& plan, uint32_t task,
                                            int port);
  template <class F>
  error guard(F&& f);
  void run();
  size_t poll_source(size_t budget);
  size_t process_front(size_t budget);
  void take_control_frame(const queued_frame& frame);
  void advance_watermark();
  void run_watermark(int64_t input);
  template <class Make>
  void broadcast_control(Make&& make);
  void finish_input();
  void seal(uint32_t ch);
  void try_send(uint32_t ch);
  void check_finished();
  void schedule_resume();
  void arm_flush();
  void arm_processing_timer();
  error accept_frame(uint32_t in_channel, std::vector<char> bytes);

  const runtime_options options_;
  task_transport& transport_;
  std::string name_;
  std::vector<std::unique_ptr<detail::part>> owned_parts_;
  std::vector<detail::part*> chain_;             // head first
  detail::source_part* source_ = nullptr;
  std::vector<std::unique_ptr<detail::batch_reader>> readers_; // per input of the head
  std::vector<uint8_t> channel_input_;                              // per in channel: its input
  std::vector<output_state> outputs_;
  std::vector<input_state> inputs_;
  std::deque<queued_frame> queue_;
  watermark_tracker watermarks_;
  int64_t output_watermark_ = INT64_MIN;
  bool output_idle_ = false;
  bool source_idle_ = false;
  size_t blocked_ = 0;
  size_t inputs_ended_ = 0;
  bool input_done_ = false;
  bool finished_ = false;
  bool resume_pending_ = false;
  bool started_ = false;
  bool flush_armed_ = false;
  const weir::clock* clock_;
  int64_t timer_armed_at_ = INT64_MAX; // processing time of the pending timer message
  task_stats stats_;
};

} // namespace weir::runtime
