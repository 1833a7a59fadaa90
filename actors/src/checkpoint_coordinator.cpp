#include "checkpoint_coordinator.hpp"

#include <algorithm>

namespace weir::runtime {

checkpoint_coordinator::checkpoint_coordinator(std::vector<bool> sources, const checkpoint_options& options,
                                               bool persist, uint64_t next_id, coordinator_host& host)
  : sources_(std::move(sources)), options_(options), persist_(persist), next_id_(next_id), host_(host),
    finished_(sources_.size(), false), final_snapshots_(sources_.size()) {}

void checkpoint_coordinator::start() {
  started_ = true;
  if (persist_ && options_.interval_ms > 0) {
    trigger_scheduled_ = true;
    host_.schedule_trigger(options_.interval_ms);
  }
  if (all_finished()) after_checkpoint();
}

bool checkpoint_coordinator::all_finished() const {
  return std::all_of(finished_.begin(), finished_.end(), [](bool f) { return f; });
}

// Barriers start at sources: once none runs, a checkpoint could only time
// out, so the rest waits for the final one.
bool checkpoint_coordinator::sources_running() const {
  for (size_t t = 0; t < sources_.size(); ++t)
    if (sources_[t] && !finished_[t]) return true;
  return false;
}

void checkpoint_coordinator::on_trigger() {
  trigger_scheduled_ = false;
  if (done_ || flight_ || !sources_running()) return;
  begin(false);
}

void checkpoint_coordinator::request_savepoint(uint64_t request, std::string name) {
  if (!persist_) {
    host_.savepoint_done(request, nullptr, "the job keeps no checkpoints (it runs without a checkpoint interval)");
    return;
  }
  if (done_ || !sources_running()) {
    host_.savepoint_done(request, nullptr, "the job's sources have finished: it is ending");
    return;
  }
  if (waiting_savepoints_.size() >= max_waiting_savepoints) {
    host_.savepoint_done(request, nullptr, std::to_string(max_waiting_savepoints) + " savepoints wait already");
    return;
  }
  waiting_savepoints_.emplace_back(request, std::move(name));
  if (!flight_) begin_savepoint();
}

// A savepoint is a checkpoint the store also keeps under its name: the same
// barriers, the same commit of sinks.
void checkpoint_coordinator::begin_savepoint() {
  auto next = std::move(waiting_savepoints_.front());
  waiting_savepoints_.pop_front();
  begin(false); // what it asks of the host answers later: the flight is there
  flight_->savepoint = std::move(next);
}

void checkpoint_coordinator::fail_waiting_savepoints(const std::string& why) {
  while (!waiting_savepoints_.empty()) {
    auto request = waiting_savepoints_.front().first;
    waiting_savepoints_.pop_front();
    host_.savepoint_done(request, nullptr, why);
  }
}

void checkpoint_coordinator::begin(bool final) {
  last_started_ms_ = host_.now_ms();
  flight_ = flight{next_id_++, last_started_ms_, std::vector<bool>(sources_.size(), false),
                   std::vector<bool>(sources_.size(), false), 0, 0, 0, 0, final, std::nullopt};
  uint64_t id = flight_->id;
  if (options_.timeout_ms > 0) host_.schedule_timeout(id, options_.timeout_ms); // 0: no timeout
  if (!final) host_.trigger_sources(id);
  for (uint32_t t = 0; t < sources_.size() && flight_ && flight_->id == id; ++t)
    if (finished_[t]) ack(t, final_snapshots_[t], true);
}

void checkpoint_coordinator::ack(uint32_t task, const snapshot_chunks& snapshot, bool final_snapshot) {
  flight_->acked[task] = true;
  flight_->uses_final[task] = final_snapshot;
  ++flight_->acks;
  flight_->pending += snapshot.size();
  for (const auto& chunk : snapshot) host_.store_snapshot(flight_->id, task, chunk);
}

void checkpoint_coordinator::on_snapshot(uint32_t task, uint64_t id, snapshot_chunks snapshot,
                                         uint64_t alignment_us) {
  if (!flight_ || flight_->id != id || flight_->acked[task]) return;
  flight_->alignment_us = std::max(flight_->alignment_us, alignment_us);
  ack(task, snapshot, false);
}

void checkpoint_coordinator::on_task_finished(uint32_t task, snapshot_chunks snapshot) {
  if (finished_[task]) return;
  finished_[task] = true;
  final_snapshots_[task] = std::move(snapshot);
  // A checkpoint in flight whose barrier this task never saw holds its final
  // snapshot: everything the task did is in it, and its consumers count its
  // ended channels as aligned.
  if (flight_ && !flight_->acked[task]) ack(task, final_snapshots_[task], true);
  if (started_ && !flight_ && all_finished()) after_checkpoint();
}

void checkpoint_coordinator::on_stored(uint64_t id, uint32_t task, uint64_t bytes, const std::string& failure) {
  if (!flight_ || flight_->id != id) return;
  if (!failure.empty()) {
    abandon(errc::io, "storing the snapshot of task " + std::to_string(task) + " failed: " + failure);
    return;
  }
  flight_->bytes += bytes;
  if (--flight_->pending > 0 || flight_->acks < sources_.size()) return;
  checkpoint_summary s{id, flight_->started_ms,
                       static_cast<uint64_t>(std::max<int64_t>(0, host_.now_ms() - flight_->started_ms)),
                       flight_->alignment_us, flight_->bytes, flight_->final, {}, 0};
  if (flight_->savepoint) s.savepoint = flight_->savepoint->second;
  host_.store_manifest(s);
}

void checkpoint_coordinator::on_manifest_stored(uint64_t id, const std::string& failure,
                                                uint32_t savepoint_version, const std::string& savepoint_failure) {
  if (!flight_ || flight_->id != id) return;
  if (!failure.empty()) {
    abandon(errc::io, "writing its manifest failed: " + failure);
    return;
  }
  checkpoint_summary s{id, flight_->started_ms,
                       static_cast<uint64_t>(std::max<int64_t>(0, host_.now_ms() - flight_->started_ms)),
                       flight_->alignment_us, flight_->bytes, flight_->final, {}, 0};
  auto includes_final = flight_->uses_final;
  bool final = flight_->final;
  auto savepoint = std::move(flight_->savepoint);
  flight_.reset();
  ++completed_;
  if (savepoint) {
    s.savepoint = savepoint->second;
    s.savepoint_version = savepoint_failure.empty() ? savepoint_version : 0;
  }
  host_.checkpoint_completed(s, includes_final);
  if (savepoint)
    host_.savepoint_done(savepoint->first, savepoint_failure.empty() ? &s : nullptr,
                         "keeping checkpoint " + std::to_string(id) + " as a savepoint failed: " + savepoint_failure);
  if (final) {
    done_ = true;
    return;
  }
  after_checkpoint();
}

void checkpoint_coordinator::on_timeout(uint64_t id) {
  if (!flight_ || flight_->id != id) return;
  abandon(errc::timed_out, "not complete after " + std::to_string(options_.timeout_ms) + " ms");
}

void checkpoint_coordinator::abandon(errc code, const std::string& why) {
  uint64_t id = flight_->id;
  bool final = flight_->final;
  auto savepoint = std::move(flight_->savepoint);
  flight_.reset();
  host_.abort_checkpoint(id, why);
  if (savepoint) host_.savepoint_done(savepoint->first, nullptr, "checkpoint " + std::to_string(id) + " was abandoned: " + why);
  if (final) { // the job cannot end without it: try again, a few times
    if (++final_failures_ >= 3) {
      done_ = true;
      host_.fail(code, "the final checkpoint failed 3 times; the last time: " + why);
      return;
    }
    begin(true);
    return;
  }
  after_checkpoint();
}

// What follows a checkpoint (or the start): the final checkpoint once every
// task finished, else the next one after the interval (at least the pause).
void checkpoint_coordinator::after_checkpoint() {
  if (done_) return;
  if (!waiting_savepoints_.empty()) {
    if (sources_running()) {
      begin_savepoint();
      return;
    }
    fail_waiting_savepoints("the job's sources have finished: it is ending");
  }
  if (all_finished()) {
    if (!persist_) {
      done_ = true;
      host_.checkpoint_completed({0, host_.now_ms(), 0, 0, 0, true, {}, 0}, std::vector<bool>(sources_.size(), true));
      return;
    }
    begin(true);
    return;
  }
  if (persist_ && options_.interval_ms > 0 && !trigger_scheduled_) {
    // The interval counts from the last trigger; the pause from now.
    auto since = static_cast<uint64_t>(std::max<int64_t>(0, host_.now_ms() - last_started_ms_));
    uint64_t rest = last_started_ms_ == 0 || since >= options_.interval_ms ? 0 : options_.interval_ms - since;
    if (last_started_ms_ == 0) rest = options_.interval_ms;
    trigger_scheduled_ = true;
    host_.schedule_trigger(std::max(rest, options_.min_pause_ms));
  }
}

} // namespace weir::runtime
