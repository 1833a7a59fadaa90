#pragma once

// The operator subtasks of one task, free of CAF: built from the plan, head
// first, with the edge writers behind the last one; and the runs of event
// and processing time through them, which may pause and resume.

#include <cstdint>
#include <memory>
#include <vector>

#include "weir/detail/graph.hpp"
#include "weir/detail/plan.hpp"
#include "weir/detail/snapshot.hpp"

namespace weir::runtime {

class output_gate;

/// One task's chain of parts. A run of a watermark (or of processing time)
/// goes through the parts head first; when a part pauses (its output has no
/// credit), the run stops there and resume() continues it from that part, so
/// no part sees a watermark before the parts ahead of it finished with it.
/// Not thread-safe.
class operator_chain {
public:
  /// What every part of the chain is told beyond the plan.
  struct context {
    const weir::clock* clock = nullptr;
    uint64_t run_id = 0;
    bool checkpointing = false;
  };

  operator_chain(const detail::job_graph& graph, const detail::physical_plan& plan, uint32_t task,
                 const context& ctx, output_gate& out, detail::pause_signal& pause);

  /// Closes the user functions still open (a task torn down: cancel,
  /// failure, restart), swallowing what they throw: nothing can report it.
  ~operator_chain();
  operator_chain(const operator_chain&) = delete;
  operator_chain& operator=(const operator_chain&) = delete;

  /// Opens the parts, sinks first, so nothing is emitted into an unopened
  /// part; each part's user functions (open()) just before it.
  void open();
  /// Tells every part, head first, that input ended (after event time ended).
  void end_of_input();
  /// Closes every part's user functions, head first, once (after
  /// end_of_input). Throws operator_failure naming the part whose close()
  /// threw; the others are closed still.
  void close_functions();

  detail::source_part* source() const noexcept { return source_; }
  /// Decodes frames of the head's input `i` into the chain.
  detail::batch_reader& reader(size_t i) { return *readers_[i]; }

  /// Starts running watermark `wm` through the chain; false when a part
  /// paused (see resume()). Requires !paused().
  bool run_watermark(int64_t wm);
  /// The same for processing time `now`.
  bool run_processing_time(int64_t now);
  /// Continues the paused run; true once it completed.
  bool resume();
  bool paused() const noexcept { return run_.what != run_kind::none; }
  /// Whether the paused run waits for something outside the task (async
  /// results): resume it on a processing-time timer, not at once.
  bool waiting() const noexcept { return paused() && parts_[run_.at]->waiting(); }
  /// Whether the head cannot take another record now (see part::input_full).
  const bool& head_full() const noexcept { return parts_.front()->input_full(); }
  /// Whether a part holds the watermark back (see part::holding_watermark).
  bool holding_watermark() const noexcept {
    for (auto* p : parts_)
      if (p->holding_watermark()) return true;
    return false;
  }
  /// Whether a part owes output for input it took (see part::owes_output).
  bool owes_output() const noexcept {
    for (auto* p : parts_)
      if (p->owes_output()) return true;
    return false;
  }
  /// What the last completed watermark run passed on (INT64_MIN before any).
  int64_t watermark_out() const noexcept { return watermark_out_; }

  /// Appends the snapshot of every stateful part for checkpoint `id` (0 for
  /// a finished task's final one). Requires !paused().
  void snapshot(uint64_t id, std::vector<detail::operator_snapshot>& out);
  /// Tells every part checkpoint `id` completed (see part::on_checkpoint_complete).
  void checkpoint_complete(uint64_t id, bool final);
  /// Hands each part its state (matched by uid), before open(). Throws
  /// state_error for state of an operator this chain does not run.
  void restore(const std::vector<detail::operator_snapshot>& in);

  /// The earliest processing time a part wants to be called at, or INT64_MAX.
  int64_t next_processing_timer() const;
  uint64_t late_records() const;
  uint64_t records_written() const;

private:
  enum class run_kind : uint8_t { none, watermark, processing_time };
  struct run {
    run_kind what = run_kind::none;
    size_t at = 0;     // the part to call next
    int64_t value = 0; // the watermark (as passed on so far) or the time
  };

  void build(const detail::job_graph& graph, const detail::physical_plan& plan, uint32_t task,
             const context& ctx, output_gate& out, detail::pause_signal& pause);
  detail::erased_collector writers_for_port(const detail::job_graph& graph,
                                            const detail::physical_plan& plan, uint32_t task,
                                            int port, output_gate& out);

  std::vector<std::unique_ptr<detail::part>> owned_;
  std::vector<detail::part*> parts_; // head first
  std::vector<subtask_info> infos_;  // per part: who it is
  detail::source_part* source_ = nullptr;
  std::vector<std::unique_ptr<detail::batch_reader>> readers_; // per input of the head
  run run_;
  int64_t watermark_out_ = INT64_MIN;
};

} // namespace weir::runtime
