#include "task_core.hpp"

#include <kj/exception.h>

#include <algorithm>

namespace weir::runtime {

using kind = detail::frame_view::kind;

task_core::task_core(const detail::job_graph& graph, const detail::physical_plan& plan,
                     uint32_t task, const runtime_options& options, task_transport& transport,
                     const task_context& ctx)
  : options_(options), transport_(transport), name_(plan.task_name(graph, task)), task_index_(task),
    clock_(options.clock != nullptr ? options.clock : &system_clock::instance()),
    in_(name_, plan.tasks[task].num_inputs), out_(plan, task, options, transport),
    chain_(graph, plan, task, {clock_, ctx.run_id, ctx.checkpointing}, out_, *this),
    channel_input_(plan.tasks[task].channel_input), watermarks_(plan.tasks[task].num_inputs),
    aligner_(plan.tasks[task].num_inputs) {}

task_core::~task_core() = default;

// The one place where exceptions from operators, codecs and the frame
// protocol become errors that name this task.
template <class F>
error task_core::guard(F&& f) {
  using clock = std::chrono::steady_clock;
  auto entered = clock::now();
  auto waited = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(entered - last_exit_).count());
  (blocked_at_exit_ ? time_.backpressured_ns : time_.idle_ns) += waited;
  struct busy_span { // counts the time in here on every way out
    task_core& task;
    clock::time_point entered;
    ~busy_span() {
      task.last_exit_ = clock::now();
      task.time_.busy_ns +=
        static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(task.last_exit_ - entered).count());
      task.blocked_at_exit_ = task.out_.blocked() > 0;
    }
  } span{*this, entered};
  turn_units_ = std::max<size_t>(1, options_.records_per_turn);
  try {
    f();
    arm_processing_timer();
    return {};
  } catch (const detail::state_error& ex) {
    return {ex.code(), ex.what()};
  } catch (const operator_failure& ex) {
    return {errc::operator_failed, ex.what()};
  } catch (const detail::record_error& ex) {
    return {errc::malformed_record, name_ + ": " + ex.what()};
  } catch (const std::exception& ex) {
    return {errc::operator_failed, name_ + ": " + ex.what()};
  } catch (const kj::Exception& ex) { // Cap'n Proto refusing a snapshot too large for it
    return {errc::operator_failed, name_ + ": " + ex.getDescription().cStr()};
  }
}

// Asked by parts between units of a firing: stop while the output is blocked
// or once this turn's units are used up (then the task yields and resumes).
bool task_core::pause() {
  if (out_.blocked() > 0 || turn_units_ == 0) return true;
  --turn_units_;
  return false;
}

error task_core::restore(const detail::task_snapshot& snapshot) {
  if (started_) return {errc::protocol, name_ + ": restore after start"};
  return guard([&] {
    chain_.restore(snapshot.operators);
    restored_finished_ = snapshot.finished;
  });
}

// A snapshot's chunks stay within the parts it crosses processes in (an
// eighth of the largest message a process reads), 4 MiB at most.
size_t task_core::snapshot_chunk_bytes() const {
  return std::clamp<size_t>(options_.max_message_bytes / 8, 64 << 10, 4 << 20);
}

error task_core::start() {
  return guard([&] {
    chain_.open();
    started_ = true;
    for (uint32_t ch = 0; ch < in_.size(); ++ch) {
      in_.granted(ch, options_.credit_window);
      transport_.grant_credit(ch, options_.credit_window);
    }
    if (restored_finished_ && (chain_.source() != nullptr || in_.size() == 0))
      finish_input(); // it had ended before the checkpoint: it ends again at once
    else if (chain_.source() != nullptr)
      schedule_resume();
    else if (in_.size() == 0)
      finish_input();
    else
      run(); // frames that arrived before start waited in their queues
  });
}

error task_core::trigger_checkpoint(uint64_t id) {
  if (chain_.source() == nullptr) return {errc::protocol, name_ + ": only sources are triggered"};
  return guard([&] {
    // A source that has ended sends end of input instead of the barrier;
    // its consumers count an ended input as aligned. A source whose last
    // barrier still waits behind data without credit declines: under long
    // backpressure barriers would pile up one per checkpoint timeout.
    if (input_done_ || out_.unsent_barriers() > 0) return;
    deferred_trigger_ = std::max(deferred_trigger_, id);
    if (started_ && !chain_.paused()) take_checkpoint(std::exchange(deferred_trigger_, 0));
  });
}

error task_core::abort_checkpoint(uint64_t id) {
  return guard([&] {
    if (deferred_trigger_ <= id) deferred_trigger_ = 0;
    aligner_.finish(id);
    release_held();
    if (!resume_pending_) run();
  });
}

error task_core::checkpoint_complete(uint64_t id, bool final) {
  return guard([&] {
    chain_.checkpoint_complete(id, final);
    if (final && finished_) transport_.committed();
  });
}

task_time task_core::time_spent() const {
  auto now = std::chrono::steady_clock::now();
  auto waited = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(now - last_exit_).count());
  auto t = time_;
  (blocked_at_exit_ ? t.backpressured_ns : t.idle_ns) += waited;
  return t;
}

error task_core::on_frame(uint32_t in_channel, std::vector<char> bytes) {
  stats_.bytes_in += bytes.size();
  if (auto err = in_.accept(in_channel, std::move(bytes))) return err;
  return guard([&] {
    if (!resume_pending_) run();
  });
}

error task_core::on_credit(uint32_t out_channel, uint32_t frames) {
  if (out_channel >= out_.size())
    return {errc::protocol, name_ + ": credit for unknown output " + std::to_string(out_channel)};
  return guard([&] {
    out_.on_credit(out_channel, frames);
    check_finished();
    if (out_.blocked() == 0 && !resume_pending_) run();
  });
}

error task_core::on_resume() {
  resume_pending_ = false;
  return guard([&] { run(); });
}

error task_core::on_flush_timer() {
  return guard([&] { out_.on_flush_timer(); });
}

error task_core::on_processing_timer() {
  timer_armed_at_ = INT64_MAX;
  return guard([&] {
    // A run waiting for async results goes on when its timer fires.
    if (chain_.waiting()) {
      run();
      return;
    }
    // After end of input nothing may be emitted: what was due then has fired.
    // A paused run goes first; the timer is armed again once it completed.
    if (!started_ || input_done_ || chain_.paused()) return;
    if (!chain_.run_processing_time(clock_->now_ms())) {
      after_ = after_run::processing_time; // run_completed calls after_processing_time
      if (out_.blocked() == 0) schedule_resume();
      return;
    }
    after_processing_time();
  });
}

// A processing-time run may have emitted results an async part owed: the
// watermark it held back may pass now, and a full head may take input again.
void task_core::after_processing_time() {
  // (also once after the last owed result went: the task may go idle now)
  if (chain_.holding_watermark() || chain_.owes_output() || owed_at_last_run_) advance_watermark();
  if (!input_done_ && !chain_.paused() && in_.next()) schedule_resume();
}

// Asks for a timer message when the earliest processing-time timer of the
// chain is due, unless one is already pending for that time or earlier.
void task_core::arm_processing_timer() {
  if (!started_ || ((input_done_ || chain_.paused()) && !chain_.waiting())) return;
  int64_t next = chain_.next_processing_timer();
  if (next >= timer_armed_at_) return;
  timer_armed_at_ = next;
  // Computed without overflow for timers far in the past or future; a day at
  // most, after which the task simply re-arms.
  constexpr int64_t day_ms = 86400000;
  int64_t now = clock_->now_ms();
  uint64_t ahead = next <= now ? 0 : static_cast<uint64_t>(next) - static_cast<uint64_t>(now);
  auto delay = static_cast<int64_t>(std::min<uint64_t>(ahead, day_ms));
  transport_.schedule_timer(std::chrono::milliseconds(delay));
}

void task_core::schedule_resume() {
  if (resume_pending_) return;
  resume_pending_ = true;
  transport_.schedule_resume();
}

void task_core::run() {
  if (!started_ || finished_) return;
  size_t budget = options_.records_per_turn;
  while (out_.blocked() == 0) {
    if (chain_.paused()) {
      if (continue_chain()) continue;
      // Paused for the turn (not for credit, not waiting for async results: their timer resumes it).
      if (out_.blocked() == 0 && !chain_.waiting()) schedule_resume();
      return;
    }
    if (deferred_trigger_ != 0 && !input_done_) take_checkpoint(std::exchange(deferred_trigger_, 0));
    if (input_done_ || budget == 0) break;
    size_t used = chain_.source() != nullptr ? poll_source(budget) : process_next(budget);
    if (used == 0) return; // nothing to do now: no input, or an idle source
    budget -= std::min(budget, used);
  }
  if (out_.blocked() > 0) {
    ++stats_.blocked_turns;
  } else if (!input_done_ && (chain_.source() != nullptr || in_.next())) {
    schedule_resume(); // budget used up: yield the thread, continue later
  }
}

// Resumes the chain's paused run; once it completes, does what waited for it.
bool task_core::continue_chain() {
  if (!chain_.resume()) return false;
  run_completed();
  return true;
}

// Returns the records asked for (the budget charged), or 0 when the source is idle.
size_t task_core::poll_source(size_t budget) {
  size_t ask = std::min(budget, std::max<size_t>(1, options_.batch_size));
  auto status = chain_.source()->poll(ask);
  if (status == source_status::exhausted) {
    finish_input();
  } else if (status == source_status::idle) {
    // Truly no input (a blocked source is never polled, so never idle): leave
    // the watermark to the other partitions until the next record.
    source_idle_ = true;
    advance_watermark();
    resume_pending_ = true;
    transport_.schedule_resume_after(std::chrono::milliseconds(options_.idle_poll_ms));
    return 0;
  } else {
    source_idle_ = false;
    advance_watermark();
  }
  return ask;
}

// Processes (part of) the oldest input frame of a channel not held back;
// returns the records processed (a control frame counts as one, so it is
// charged to the budget).
size_t task_core::process_next(size_t budget) {
  auto ch = in_.next();
  if (!ch) return 0;
  auto& front = in_.front(*ch);
  if (front.type != kind::data) {
    take_control(*ch);
    return 1;
  }
  if (chain_.head_full()) return 0; // a processing-time run frees room (after_processing_time)
  if (front.cursor == 0) watermarks_.on_record(*ch);
  size_t end = std::min(front.view.size(), front.cursor + budget);
  size_t next = chain_.reader(channel_input_[*ch]).read(front.view, front.cursor, end, out_.blocked(),
                                                        chain_.head_full());
  size_t done = next - front.cursor;
  stats_.records_in += done;
  front.cursor = next;
  if (next == front.view.size()) {
    in_.pop(*ch);
    in_.granted(*ch, 1);
    transport_.grant_credit(*ch, 1);
    advance_watermark();
  }
  return std::max<size_t>(done, 1);
}

void task_core::take_control(uint32_t ch) {
  auto frame = std::move(in_.front(ch));
  in_.pop(ch);
  switch (frame.type) {
    case kind::watermark:
      watermarks_.on_watermark(ch, frame.watermark);
      break;
    case kind::idle:
      watermarks_.on_idle(ch);
      break;
    case kind::end_of_input:
      watermarks_.on_end(ch);
      if (aligner_.on_end(ch)) complete_alignment(aligner_.pending()); // an ended input is aligned
      if (++inputs_ended_ == in_.size()) {
        finish_input();
        return;
      }
      break;
    case kind::barrier:
      on_barrier(ch, frame.checkpoint);
      return; // event time did not move
    case kind::data:
      break;
  }
  advance_watermark();
}

// Recomputes event time after input changed: runs the watermark through the
// chain (windows fire, assigners substitute their own) and tells consumers
// when it advanced, or that the task went idle.
void task_core::advance_watermark() {
  if (chain_.source() != nullptr) {
    if (source_idle_)
      go_idle();
    else
      start_watermark_run(INT64_MIN, after_run::forward);
    return;
  }
  if (auto input = watermarks_.combined())
    start_watermark_run(*input, after_run::forward);
  else // every input idle: event time first advances to the highest of them
    start_watermark_run(watermarks_.highest(), after_run::forward_then_idle);
}

void task_core::start_watermark_run(int64_t wm, after_run then) {
  after_ = then;
  if (chain_.run_watermark(wm)) run_completed();
}

void task_core::run_completed() {
  auto then = after_;
  after_ = after_run::nothing;
  switch (then) {
    case after_run::forward:
      owed_at_last_run_ = chain_.owes_output();
      forward_watermark();
      break;
    case after_run::forward_then_idle:
      owed_at_last_run_ = chain_.owes_output();
      forward_watermark();
      // Not while a part owes output for input it took: its results would
      // reach consumers that left this task out of their event time.
      if (!owed_at_last_run_) go_idle();
      break;
    case after_run::end_input:
      end_input();
      break;
    case after_run::processing_time:
      after_processing_time();
      break;
    case after_run::nothing:
      break;
  }
}

void task_core::forward_watermark() {
  int64_t wm = chain_.watermark_out();
  if (wm <= output_watermark_) return;
  output_watermark_ = wm;
  out_.set_idle(false);
  out_.broadcast([wm](uint32_t ch, uint64_t seq) { return detail::make_watermark_frame(ch, seq, wm); });
}

void task_core::go_idle() {
  if (out_.idle()) return;
  // Sealing partial batches first marks the output active; idle comes after.
  out_.broadcast([](uint32_t ch, uint64_t seq) { return detail::make_idle_frame(ch, seq); });
  out_.set_idle(true);
}

// End of input is the end of event time: every window and timer fires (one
// unit at a time, under credit) before end of input goes downstream.
void task_core::finish_input() {
  input_done_ = true;
  if (restored_finished_) {
    end_input(); // its windows fired and its sinks flushed before the checkpoint
    return;
  }
  start_watermark_run(INT64_MAX, after_run::end_input);
}

void task_core::end_input() {
  // The final watermark itself is not sent; end of input implies it downstream.
  if (!restored_finished_) chain_.end_of_input();
  chain_.close_functions(); // nothing of them runs after end of input
  out_.broadcast([](uint32_t ch, uint64_t seq) { return detail::make_end_of_input_frame(ch, seq); });
  ended_ = true;
  check_finished();
}

void task_core::on_barrier(uint32_t ch, uint64_t id) {
  if (id > aligner_.pending()) alignment_started_ = std::chrono::steady_clock::now();
  auto result = aligner_.on_barrier(ch, id);
  if (result == barrier_aligner::result::aligned)
    complete_alignment(id);
  else if (result == barrier_aligner::result::holding)
    release_held(); // holds exactly the channels the aligner names (an older alignment may be dropped)
}

void task_core::complete_alignment(uint64_t id) {
  take_checkpoint(id);
  aligner_.finish(id);
  release_held();
}

// Snapshot first, barrier after: the barrier goes out behind every record
// the snapshot reflects (broadcast seals partial batches before it).
void task_core::take_checkpoint(uint64_t id) {
  detail::task_snapshot snap;
  snap.checkpoint = id;
  snap.task = task_index_;
  chain_.snapshot(id, snap.operators);
  out_.broadcast([id](uint32_t ch, uint64_t seq) { return detail::make_barrier_frame(ch, seq, id); }, true);
  uint64_t aligned_us = 0;
  if (chain_.source() == nullptr)
    aligned_us = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                         std::chrono::steady_clock::now() - alignment_started_).count());
  transport_.checkpoint_taken(id, detail::encode_task_snapshot_chunks(std::move(snap), snapshot_chunk_bytes()), aligned_us);
}

void task_core::release_held() {
  for (uint32_t ch = 0; ch < in_.size(); ++ch) in_.hold(ch, aligner_.holds(ch));
}

void task_core::check_finished() {
  if (finished_ || !ended_ || out_.blocked() > 0) return;
  finished_ = true;
  stats_.records_out = out_.records_out();
  stats_.sink_records = chain_.records_written();
  stats_.late_records = chain_.late_records();
  if (chain_.source() != nullptr) stats_.source_records = chain_.source()->records_emitted();
  detail::task_snapshot snap;
  snap.task = task_index_;
  snap.finished = true;
  chain_.snapshot(0, snap.operators); // checkpoint 0: sinks pre-commit their last transaction
  transport_.finished(stats_, detail::encode_task_snapshot_chunks(std::move(snap), snapshot_chunk_bytes()));
}

} // namespace weir::runtime
