// The supervisor's savepoints: requests from the control endpoint, their
// answers, and stopping a job once its savepoint is taken.

#include "checkpoint_store.hpp"
#include "supervisor_state.hpp"

namespace weir::runtime::supervising {

namespace {

std::string refused(const std::string& why) { return "refused: " + why; }

} // namespace

caf::result<std::string> request_savepoint(supervisor_actor* self, std::string name, bool stop) {
  auto& st = self->state;
  const auto& job = st.dep->graph->name;
  if (auto err = check_savepoint_name(name)) return refused(err.message());
  if (auto err = detail::check_savepoint_uids(*st.dep->graph)) return refused(err.message());
  if (st.over || st.stopping) return refused("job '" + job + "' is ending");
  if (st.savepoints.size() >= checkpoint_coordinator::max_waiting_savepoints)
    return refused(std::to_string(st.savepoints.size()) + " savepoints of job '" + job + "' wait already");
  auto request = st.next_savepoint_request++;
  auto answer = self->make_response_promise<std::string>();
  st.savepoints[request] = savepoint_request{answer, name, stop, false};
  // While an attempt starts (or restarts) the request waits for it.
  if (st.coordinator) pass_waiting_savepoints(self);
  return answer;
}

void pass_waiting_savepoints(supervisor_actor* self) {
  auto& st = self->state;
  // Collected first: the coordinator may answer (and erase) a request at once.
  std::vector<std::pair<uint64_t, std::string>> waiting;
  for (auto& [request, r] : st.savepoints)
    if (!r.passed) {
      r.passed = true;
      waiting.emplace_back(request, r.name);
    }
  for (auto& [request, name] : waiting)
    if (st.coordinator) st.coordinator->request_savepoint(request, std::move(name));
}

void savepoint_answered(supervisor_actor* self, uint64_t request, const checkpoint_summary* taken,
                        const std::string& failure) {
  auto& st = self->state;
  auto it = st.savepoints.find(request);
  if (it == st.savepoints.end()) return;
  auto r = std::move(it->second);
  st.savepoints.erase(it);
  const auto& job = st.dep->graph->name;
  if (!taken) {
    say(self, "savepoint '" + r.name + "' failed: " + failure, log_level::warn);
    r.answer.deliver("failed: savepoint '" + r.name + "' of job '" + job + "': " + failure);
    return;
  }
  auto text = "savepoint '" + r.name + "' version " + std::to_string(taken->savepoint_version) + " of job '" + job
              + "': checkpoint " + std::to_string(taken->id) + ", " + std::to_string(taken->bytes) + " bytes, "
              + std::to_string(taken->duration_ms) + " ms, in " + st.dep->options.checkpoints.state_dir;
  say(self, "took " + text);
  if (!r.stop) {
    r.answer.deliver(text);
    return;
  }
  // The coordinator is still in its call: stop on the next message.
  st.stopping = true;
  st.stopped_with = r.name + "@" + std::to_string(taken->savepoint_version);
  st.stop_answer = r.answer;
  st.stop_text = text;
  self->send(self, stop_atom::value, st.attempt);
}

void fail_savepoints(supervisor_actor* self, const std::string& why) {
  auto& st = self->state;
  auto waiting = std::move(st.savepoints);
  st.savepoints.clear();
  for (auto& [request, r] : waiting)
    r.answer.deliver("failed: savepoint '" + r.name + "' of job '" + st.dep->graph->name + "': " + why);
}

// The savepoint's checkpoint completed and every task was told so before
// this message (one sender, one order): sinks commit it first, then go.
void stop_after_savepoint(supervisor_actor* self) {
  auto& st = self->state;
  st.coordinator.reset();
  say(self, "stopping after savepoint " + st.stopped_with);
  for (uint32_t t = 0; t < st.tasks.size(); ++t)
    if (st.tasks[t] && st.phases[t] != phase::down) self->send_exit(st.tasks[t], caf::exit_reason::user_shutdown);
  stopped_when_down(self);
}

void stopped_when_down(supervisor_actor* self) {
  auto& st = self->state;
  for (auto p : st.phases)
    if (p != phase::down) return;
  if (st.stop_answer.pending()) st.stop_answer.deliver(st.stop_text + "; the job stopped");
  run_outcome outcome{st.reports, st.completed, st.last_checkpoint, st.restarts, st.stopped_with};
  end_run(self, caf::make_message(std::move(outcome)), false);
}

} // namespace weir::runtime::supervising
