#include "supervisor_state.hpp"

#include <chrono>

namespace weir::runtime::supervising {

// -- the coordinator's requests --------------------------------------------------

template <class F>
void supervisor_host::if_current(F&& f) {
  auto& st = self_->state;
  if (st.attempt == attempt_ && st.coordinator && !st.over) f(*st.coordinator);
}

void supervisor_host::trigger_sources(uint64_t id) {
  auto& st = self_->state;
  for (uint32_t t = 0; t < st.tasks.size(); ++t)
    if (st.sources[t] && st.phases[t] == phase::running) self_->send(st.tasks[t], trigger_atom::value, id);
}

void supervisor_host::store_snapshot(uint64_t id, uint32_t task, const std::vector<char>& snapshot) {
  auto* self = self_;
  self_->request(self_->state.how.store, caf::infinite, store_atom::value, id, task, snapshot)
    .then([this, id, task](uint64_t bytes) {
            auto& stored = self_->state.task_checkpoint_bytes[task];
            stored = {id, stored.first == id ? stored.second + bytes : bytes};
            if_current([&](auto& c) { c.on_stored(id, task, bytes, ""); });
          },
          [this, self, id, task](caf::error& err) {
            auto why = self->system().render(err);
            if_current([&](auto& c) { c.on_stored(id, task, 0, why); });
          });
}

void supervisor_host::store_manifest(const checkpoint_summary& summary) {
  auto* self = self_;
  auto id = summary.id;
  self_->request(self_->state.how.store, caf::infinite, manifest_atom::value, summary)
    .then([this, id](uint32_t version, std::string& savepoint_failure) {
            if_current([&](auto& c) { c.on_manifest_stored(id, "", version, savepoint_failure); });
          },
          [this, self, id](caf::error& err) {
            auto why = self->system().render(err);
            if_current([&](auto& c) { c.on_manifest_stored(id, why); });
          });
}

void supervisor_host::abort_checkpoint(uint64_t id, const std::string& why) {
  auto& st = self_->state;
  ++st.checkpoints_failed;
  say(self_, "checkpoint " + std::to_string(id) + " failed: " + why, log_level::warn);
  for (uint32_t t = 0; t < st.tasks.size(); ++t)
    if (st.phases[t] == phase::running) self_->send(st.tasks[t], abort_atom::value, id);
  abandon_in_store(self_, id, why);
}

void supervisor_host::checkpoint_completed(const checkpoint_summary& summary,
                                           const std::vector<bool>& includes_final) {
  auto& st = self_->state;
  if (summary.id != 0) {
    ++st.completed;
    st.last_checkpoint = summary.id;
    note_checkpoint(self_, summary);
    say(self_, "checkpoint " + std::to_string(summary.id) + " completed in " + std::to_string(summary.duration_ms)
                 + " ms, " + std::to_string(summary.bytes) + " bytes, inputs held at most "
                 + std::to_string(summary.alignment_us) + " us",
        log_level::debug);
  }
  for (uint32_t t = 0; t < st.tasks.size(); ++t)
    if (st.phases[t] == phase::running || st.phases[t] == phase::finished)
      self_->send(st.tasks[t], complete_atom::value, summary.id, static_cast<bool>(includes_final[t]));
}

void supervisor_host::schedule_trigger(uint64_t delay_ms) {
  self_->delayed_send(self_, std::chrono::milliseconds(delay_ms), trigger_atom::value, attempt_);
}

void supervisor_host::schedule_timeout(uint64_t id, uint64_t delay_ms) {
  self_->delayed_send(self_, std::chrono::milliseconds(delay_ms), checkpoint_atom::value, timeout_atom::value,
                      attempt_, id);
}

int64_t supervisor_host::now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           std::chrono::system_clock::now().time_since_epoch()).count();
}

void supervisor_host::fail(errc code, const std::string& why) {
  fail_run(self_, code, why);
}

void supervisor_host::savepoint_done(uint64_t request, const checkpoint_summary* taken, const std::string& failure) {
  savepoint_answered(self_, request, taken, failure);
}

} // namespace weir::runtime::supervising
