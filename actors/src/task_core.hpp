#pragma once

// The logic of one task (a chain of operator subtasks), free of CAF: its
// input gate (per-channel queues, credits), its output gate (batches, flush
// timeouts), the processing loop with its yield budget, event time
// (watermarks combined over the inputs, idleness, end of input) and
// processing-time timers. task_actor is a thin shell that maps CAF messages
// onto it; tests drive it directly with a fake transport
// (test/support/fake_transport.hpp).

#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

#include "barrier_aligner.hpp"
#include "checkpoint_coordinator.hpp"
#include "input_gate.hpp"
#include "operator_chain.hpp"
#include "output_gate.hpp"
#include "watermark_tracker.hpp"
#include "weir/detail/plan.hpp"
#include "weir/error.hpp"
#include "weir/options.hpp"

namespace weir::runtime {

/// Counters a task reports when it finishes.
struct task_stats {
  uint64_t records_in = 0;      ///< Records read from input channels.
  uint64_t records_out = 0;     ///< Records sealed into output frames.
  uint64_t source_records = 0;  ///< Records emitted by a source in this task.
  uint64_t sink_records = 0;    ///< Records written by a sink in this task.
  uint64_t blocked_turns = 0;   ///< Times processing stopped for lack of credit.
  uint64_t late_records = 0;    ///< Records past their windows' allowed lateness.
  uint64_t bytes_in = 0;        ///< Bytes of the frames received.
};

/// Where a task's wall time went since it was constructed, in nanoseconds:
/// busy (inside an entry point), backpressured (between entry points with
/// an output channel out of credit) or idle (between entry points otherwise).
/// Measured per message handled, never per record.
struct task_time {
  uint64_t busy_ns = 0;
  uint64_t backpressured_ns = 0;
  uint64_t idle_ns = 0;
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
  /// All input processed and all output sent; `snapshot` is the task's
  /// final one (an encoded detail::task_snapshot marked finished): every
  /// checkpoint from now on holds it for this task. The task then waits for
  /// checkpoint_complete(..., final = true).
  virtual void finished(const task_stats& stats, snapshot_chunks snapshot) = 0;
  /// The checkpoint holding the final snapshot completed and the task
  /// committed its output: it has nothing left to do.
  virtual void committed() = 0;
  /// The task took its snapshot for checkpoint `id` (encoded
  /// detail::task_snapshot chunks) and sent the barrier on; `alignment_us`
  /// is how long its inputs were held for it.
  virtual void checkpoint_taken(uint64_t id, snapshot_chunks snapshot, uint64_t alignment_us) = 0;
};

/// What a task is told about its run beyond the plan.
struct task_context {
  uint64_t run_id = 0;        ///< subtask_info::run_id
  bool checkpointing = false; ///< subtask_info::checkpointing
};

/// One task. Not thread-safe: its host calls it from one thread at a time.
/// Every entry point returns an empty error on success; after a non-empty
/// one the task is broken and must be discarded.
///
/// Life: constructed (frames may arrive and wait in their queues) ->
/// restore() (optional) -> start() (opens the operators, grants credit,
/// processes) -> input done -> finished.
///
/// Checkpoints: a source task takes its snapshot when triggered, between two
/// polls; any other task when the barrier has arrived on every input (each
/// input is held from its barrier on) or the input ended. It then sends the
/// barrier on behind everything before it.
class task_core final : private detail::pause_signal {
public:
  task_core(const detail::job_graph& graph, const detail::physical_plan& plan, uint32_t task,
            const runtime_options& options, task_transport& transport, const task_context& ctx = {});
  ~task_core() override;

  /// Before start(): restores the operators' state from a checkpoint.
  error restore(const detail::task_snapshot& snapshot);
  /// Opens the operators, grants initial credit, processes what waited.
  error start();
  /// A source task: snapshot for checkpoint `id` and send the barrier on, as
  /// soon as no firing is paused (now, between two polls, usually).
  error trigger_checkpoint(uint64_t id);
  /// Checkpoint `id` was aborted: stop aligning it, release held inputs.
  error abort_checkpoint(uint64_t id);
  /// Checkpoint `id` completed: sinks commit what it holds. `final`: the
  /// checkpoint holding this finished task's final snapshot completed.
  error checkpoint_complete(uint64_t id, bool final);
  error on_frame(uint32_t in_channel, std::vector<char> bytes);
  error on_credit(uint32_t out_channel, uint32_t frames);
  error on_resume();
  error on_flush_timer();
  error on_processing_timer();

  bool started() const noexcept { return started_; }
  bool finished() const noexcept { return finished_; }
  const task_stats& stats() const noexcept { return stats_; }
  /// Records sealed into output frames so far (stats().records_out holds it once finished).
  uint64_t records_out() const noexcept { return out_.records_out(); }
  /// Credit held over the output channels (frames that may still be sent).
  uint64_t credits() const noexcept { return out_.credits(); }
  /// Records past their windows' allowed lateness so far (live).
  uint64_t late_records() const { return chain_.late_records(); }
  /// Input frames received but not yet fully processed.
  size_t queued_frames() const noexcept { return in_.queued(); }
  /// Output channels whose sealed frames wait for credit.
  size_t blocked_outputs() const noexcept { return out_.blocked(); }
  /// Output frames sealed (or queued) and not yet sent.
  size_t pending_output_frames() const noexcept { return out_.pending_frames(); }
  /// The last watermark sent downstream (INT64_MIN before the first).
  int64_t output_watermark() const noexcept { return output_watermark_; }
  /// Whether the task last told its consumers it is idle.
  bool idle() const noexcept { return out_.idle(); }
  /// Its time so far, the current wait included.
  task_time time_spent() const;
  /// The checkpoint whose barriers are being aligned, or 0.
  uint64_t aligning() const noexcept { return aligner_.pending(); }

private:
  // What to do once the chain's current watermark run completes.
  enum class after_run : uint8_t { nothing, forward, forward_then_idle, end_input, processing_time };

  template <class F>
  error guard(F&& f);
  bool pause() override;
  void run();
  bool continue_chain();
  size_t poll_source(size_t budget);
  size_t process_next(size_t budget);
  void take_control(uint32_t ch);
  void advance_watermark();
  void start_watermark_run(int64_t wm, after_run then);
  void run_completed();
  void forward_watermark();
  void go_idle();
  void finish_input();
  void end_input();
  void check_finished();
  void on_barrier(uint32_t ch, uint64_t id);
  void complete_alignment(uint64_t id);
  void take_checkpoint(uint64_t id);
  void release_held();
  void schedule_resume();
  size_t snapshot_chunk_bytes() const;
  void arm_processing_timer();
  void after_processing_time();

  const runtime_options options_;
  task_transport& transport_;
  std::string name_;
  uint32_t task_index_;
  const weir::clock* clock_;
  input_gate in_;
  output_gate out_;
  operator_chain chain_;
  std::vector<uint8_t> channel_input_; // per in channel: which input of the head it feeds
  watermark_tracker watermarks_;
  barrier_aligner aligner_;
  std::chrono::steady_clock::time_point alignment_started_;
  uint64_t deferred_trigger_ = 0; // a source's checkpoint waiting for a paused firing
  after_run after_ = after_run::nothing;
  int64_t output_watermark_ = INT64_MIN;
  size_t turn_units_ = 0;  // firing units left in this turn
  size_t inputs_ended_ = 0;
  bool source_idle_ = false;
  bool input_done_ = false; // end of input reached: event time is ending
  bool ended_ = false;      // end of input sent downstream
  bool finished_ = false;
  bool resume_pending_ = false;
  bool started_ = false;
  bool owed_at_last_run_ = false; // a part owed output when event time last ran
  bool restored_finished_ = false; // restored from a checkpoint in which it had finished
  int64_t timer_armed_at_ = INT64_MAX; // processing time of the pending timer message
  task_time time_;
  std::chrono::steady_clock::time_point last_exit_ = std::chrono::steady_clock::now();
  bool blocked_at_exit_ = false; // an output lacked credit when the last entry point returned
  task_stats stats_;
};

} // namespace weir::runtime
