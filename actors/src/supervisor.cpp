#include "supervisor.hpp"

#include <chrono>
#include <random>

#include "restart_delay.hpp"
#include "slot_assignment.hpp"
#include "supervisor_state.hpp"

namespace weir::runtime {

deploy_request deploy_request_for(const deployment& dep, const placement& where, uint32_t task) {
  const auto& g = *dep.graph;
  return {where.job, where.args, to_wire(dep.options), task, g.chaining, g.max_parallelism, g.default_parallelism,
          dep.plan.task_name(g, task), dep.run_id, dep.checkpointing};
}

namespace supervising {

std::string task_name(supervisor_actor* self, uint32_t task) {
  auto& dep = *self->state.dep;
  return dep.plan.task_name(*dep.graph, task);
}

void say(supervisor_actor* self, const std::string& what, log_level level, const std::string& task) {
  const auto& log = self->state.dep->options.log_events;
  if (log) log({level, self->state.dep->graph->name, task, what, wall_clock_ms()});
}

// The task that sent the current message, if it belongs to this attempt.
std::optional<uint32_t> sender_task(supervisor_actor* self) {
  auto from = self->current_sender();
  auto& st = self->state;
  for (uint32_t t = 0; t < st.tasks.size(); ++t)
    if (st.tasks[t] && st.tasks[t].address() == from) return t;
  return std::nullopt;
}

void attempt_failed(supervisor_actor* self, errc code, const std::string& message,
                    std::optional<uint32_t> task = std::nullopt);

void end_run(supervisor_actor* self, caf::message outcome, bool finished) {
  auto& st = self->state;
  if (st.over) return;
  st.over = true;
  st.coordinator.reset();
  fail_savepoints(self, "the job ended before it was taken");
  for (uint32_t t = 0; t < st.tasks.size(); ++t)
    if (st.tasks[t] && st.phases[t] != phase::down) self->send_exit(st.tasks[t], caf::exit_reason::user_shutdown);
  auto deliver = [self, outcome]() mutable {
    if (self->state.promise.pending()) self->state.promise.deliver(std::move(outcome));
    self->quit();
  };
  if (!st.how.store) {
    deliver();
    return;
  }
  self->request(st.how.store, caf::infinite, finish_atom::value, finished)
    .then([deliver](ack_atom) mutable { deliver(); },
          [self, deliver](caf::error& err) mutable {
            say(self, "could not record the run's end: " + self->system().render(err), log_level::error);
            deliver();
          });
}

error error_of(supervisor_actor* self, const caf::error& err) {
  const auto& ctx = err.context();
  if (ctx.match_elements<uint8_t, std::string>())
    return {static_cast<errc>(ctx.get_as<uint8_t>(0)), ctx.get_as<std::string>(1)};
  return {errc::operator_failed, self->system().render(err)};
}

void abandon_in_store(supervisor_actor* self, uint64_t id, const std::string& why) {
  auto what = "checkpoint " + std::to_string(id);
  self->request(self->state.how.store, caf::infinite, abort_atom::value, id, why)
    .then(
      [self, what, why](bool kept) {
        say(self, kept ? what + " was complete in the store already (" + why + "); a restore may use it"
                       : what + " abandoned: " + why,
            log_level::warn);
      },
      [self, what](caf::error& err) { say(self, what + ": " + self->system().render(err), log_level::warn); });
}

void fail_run(supervisor_actor* self, errc code, const std::string& message) {
  end_run(self, caf::make_message(caf::make_error(caf::sec::runtime_error, static_cast<uint8_t>(code), message)),
          false);
}

// -- an attempt: spawn, wire, restore, start ------------------------------------

void start_all(supervisor_actor* self) {
  auto& st = self->state;
  if (!st.how.where.nodes.empty()) {
    auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - st.attempt_began);
    say(self, "attempt " + std::to_string(st.attempt) + ": " + std::to_string(st.tasks.size())
                + " tasks deployed, wired and restored in " + std::to_string(took.count()) + " ms");
  }
  for (uint32_t t = 0; t < st.tasks.size(); ++t) {
    st.phases[t] = phase::running;
    self->send(st.tasks[t], start_atom::value);
    int node = node_of(self, t);
    say(self, node < 0 ? "started" : "started on node " + st.how.where.addresses[size_t(node)],
        log_level::debug, task_name(self, t));
  }
  bool persist = static_cast<bool>(st.how.store);
  st.host = std::make_unique<supervisor_host>(self, st.attempt);
  st.coordinator = std::make_unique<checkpoint_coordinator>(st.sources, st.dep->options.checkpoints, persist,
                                                            st.next_checkpoint, *st.host);
  st.coordinator->start();
  pass_waiting_savepoints(self);
}

/// Counts an acknowledgement of the current step; runs `next` once all tasks acked.
template <class Next>
void acked(supervisor_actor* self, uint32_t attempt, Next next) {
  auto& st = self->state;
  if (st.attempt != attempt || st.cancelling || st.over) return;
  if (++st.acked == st.tasks.size()) {
    st.acked = 0;
    next(self);
  }
}

void restore_all(supervisor_actor* self) {
  auto& st = self->state;
  if (st.states.empty()) {
    start_all(self);
    return;
  }
  auto attempt = st.attempt;
  for (uint32_t t = 0; t < st.tasks.size(); ++t)
    self->request(st.tasks[t], caf::infinite, restore_atom::value, state_parts_ahead(self, t, std::move(st.states[t])))
      .then([self, attempt](ack_atom) { acked(self, attempt, start_all); },
            [self, t](caf::error& err) {
              // State the job cannot use stays unusable however often it is
              // tried: that ends the run; anything else is worth another attempt.
              auto e = error_of(self, err);
              auto why = task_name(self, t) + " could not restore: " + e.message();
              if (e.code() == errc::incompatible_state)
                fail_run(self, e.code(), why);
              else
                attempt_failed(self, e.code(), why);
            });
  st.states.clear();
}

/// Sends every task its channel endpoints; restores and starts all once all
/// acknowledged, so no credit or frame reaches a task that does not know its
/// channels yet.
void wire_all(supervisor_actor* self) {
  auto& st = self->state;
  const auto& plan = st.dep->plan;
  std::vector<std::vector<endpoint>> outs(plan.tasks.size()), ins(plan.tasks.size());
  for (size_t t = 0; t < plan.tasks.size(); ++t) {
    outs[t].resize(plan.tasks[t].num_outputs);
    ins[t].resize(plan.tasks[t].num_inputs);
  }
  for (const auto& ch : plan.channels) {
    outs[ch.producer_task][ch.out_channel] = {st.tasks[ch.consumer_task], ch.in_channel};
    ins[ch.consumer_task][ch.in_channel] = {st.tasks[ch.producer_task], ch.out_channel};
  }
  auto attempt = st.attempt;
  for (size_t t = 0; t < st.tasks.size(); ++t) {
    self->request(st.tasks[t], caf::infinite, wire_atom::value, outs[t], ins[t])
      .then([self, attempt](ack_atom) { acked(self, attempt, restore_all); },
            [self, t](caf::error& err) {
              attempt_failed(self, errc::operator_failed, task_name(self, static_cast<uint32_t>(t))
                                                            + " could not be wired: " + self->system().render(err));
            });
  }
}

void task_spawned(supervisor_actor* self, uint32_t attempt, uint32_t task, caf::actor actor) {
  auto& st = self->state;
  if (st.attempt != attempt || st.cancelling || st.over) { // deployed after the attempt failed
    self->send_exit(actor, caf::exit_reason::user_shutdown);
    return;
  }
  self->monitor(actor);
  st.tasks[task] = std::move(actor);
  if (++st.spawned == st.tasks.size()) wire_all(self);
}

void spawn_all(supervisor_actor* self) {
  auto& st = self->state;
  auto n = static_cast<uint32_t>(st.dep->plan.tasks.size());
  auto attempt = st.attempt;
  for (uint32_t t = 0; t < n; ++t) {
    int node = node_of(self, t);
    if (node < 0) {
      task_spawned(self, attempt, t, spawn_task(self->system(), st.dep, t, caf::actor_cast<caf::actor>(self)));
      continue;
    }
    self->request(st.how.where.nodes[node], std::chrono::seconds(30), deploy_atom::value,
                  deploy_request_for(*st.dep, st.how.where, t), caf::actor_cast<caf::actor>(self))
      .then([self, attempt, t](caf::actor& actor) { task_spawned(self, attempt, t, std::move(actor)); },
            [self, t, node](caf::error& err) {
              attempt_failed(self, errc::unreachable, "node " + self->state.how.where.addresses[size_t(node)]
                                                        + " could not deploy " + task_name(self, t) + ": "
                                                        + self->system().render(err));
            });
  }
}

void reset_attempt(supervisor_actor* self) {
  auto& st = self->state;
  auto n = st.dep->plan.tasks.size();
  ++st.attempt;
  st.attempt_began = std::chrono::steady_clock::now();
  st.tasks.assign(n, caf::actor{});
  st.phases.assign(n, phase::deploying);
  st.reports.assign(n, task_report{});
  st.spawned = 0;
  st.acked = 0;
  st.cancelling = false;
  st.snapshot_parts.clear();
}

// Restores the newest complete checkpoint the store holds that reads back
// (the store falls back past ones that do not, and fails rather than start
// from empty state when it had some); without any, starts from the beginning.
void begin_attempt(supervisor_actor* self) {
  auto& st = self->state;
  reset_attempt(self);
  if (!place_on_remaining_nodes(self)) return;
  if (!st.how.store) {
    spawn_all(self);
    return;
  }
  auto attempt = st.attempt;
  self->request(st.how.store, caf::infinite, load_atom::value, st.how.bad_checkpoints)
    .then(
      [self, attempt](uint64_t id, std::vector<std::vector<char>>& states) {
        auto& st = self->state;
        if (st.attempt != attempt || st.over) return;
        if (id != 0) st.last_checkpoint = id;
        st.states = std::move(states);
        spawn_all(self);
      },
      [self, attempt](caf::error& err) {
        if (self->state.attempt != attempt || self->state.over) return;
        fail_run(self, errc::corrupt_state, self->system().render(err));
      });
}

// -- failures and restarts -------------------------------------------------------

void restart_when_down(supervisor_actor* self) {
  auto& st = self->state;
  for (auto p : st.phases)
    if (p != phase::down && p != phase::deploying) return;
  const auto& strategy = st.dep->options.restart;
  auto delay = restart_delay_ms(strategy, st.restarts, st.rng);
  self->delayed_send(self, std::chrono::milliseconds(delay), restart_atom::value, st.attempt);
}

void attempt_failed(supervisor_actor* self, errc code, const std::string& message, std::optional<uint32_t> task) {
  auto& st = self->state;
  if (st.over || st.cancelling || st.stopping) return;
  const auto& strategy = st.dep->options.restart;
  if (st.coordinator) {
    st.next_checkpoint = st.coordinator->next_id();
    if (auto id = st.coordinator->in_flight()) // nothing of it commits
      abandon_in_store(self, id, "the attempt failed: " + message);
  }
  st.coordinator.reset();
  fail_savepoints(self, "the job failed (" + message + ")");
  if (strategy.type == restart_strategy::kind::none || st.restarts >= strategy.max_attempts) {
    std::string why = st.restarts > 0 ? " (after " + std::to_string(st.restarts) + " restarts)" : "";
    fail_run(self, code, message + why);
    return;
  }
  ++st.restarts;
  st.cancelling = true;
  say(self, "attempt " + std::to_string(st.attempt) + " failed: " + message + "; restarting ("
              + std::to_string(st.restarts) + " of " + std::to_string(strategy.max_attempts) + ") from "
              + (st.last_checkpoint == 0 ? std::string("the beginning")
                                         : "its latest complete checkpoint"),
      log_level::warn, task ? task_name(self, *task) : std::string());
  for (uint32_t t = 0; t < st.tasks.size(); ++t)
    if (st.tasks[t] && st.phases[t] != phase::down) self->send_exit(st.tasks[t], caf::exit_reason::user_shutdown);
  restart_when_down(self);
}

void all_committed(supervisor_actor* self) {
  auto& st = self->state;
  for (auto p : st.phases)
    if (p != phase::committed && p != phase::down) return;
  run_outcome outcome{st.reports, st.completed, st.last_checkpoint, st.restarts, {}};
  end_run(self, caf::make_message(std::move(outcome)), true);
}

caf::behavior supervisor_behavior(supervisor_actor* self, std::shared_ptr<const deployment> dep,
                                  supervision how) {
  auto& st = self->state;
  st.dep = std::move(dep);
  st.how = std::move(how);
  st.lost_nodes.assign(st.how.where.nodes.size(), false);
  for (const auto& node : st.how.where.nodes) self->monitor(node); // its connection closing is a down message
  st.next_checkpoint = st.how.next_checkpoint;
  st.sources.resize(st.dep->plan.tasks.size());
  for (uint32_t t = 0; t < st.sources.size(); ++t) {
    const auto& chain = st.dep->plan.chains[st.dep->plan.tasks[t].chain];
    st.sources[t] = st.dep->graph->vertices[chain.vertices.front()].kind == detail::vertex_kind::source;
  }
  self->set_down_handler([self](caf::down_msg& msg) {
    auto& st = self->state;
    if (node_down(self, msg.source)) return;
    for (uint32_t t = 0; t < st.tasks.size(); ++t) {
      if (!st.tasks[t] || st.tasks[t].address() != msg.source) continue;
      auto was = st.phases[t];
      st.phases[t] = phase::down;
      node_lost_with(self, t, msg.reason); // whatever the job was doing: a node lost stays lost
      if (st.stopping)
        stopped_when_down(self);
      else if (st.cancelling)
        restart_when_down(self);
      else if (was != phase::committed)
        attempt_failed(self, errc::operator_failed, why_down(self, t, msg.reason), t);
    }
  });
  return {
    [self](run_atom) {
      self->state.promise = self->make_response_promise();
      auto limit = self->state.dep->options.job_timeout_ms;
      if (limit > 0) self->delayed_send(self, std::chrono::milliseconds(limit), timeout_atom::value);
      if (self->state.how.on_metrics)
        self->delayed_send(self, std::chrono::milliseconds(self->state.dep->options.metrics.interval_ms),
                           metrics_atom::value);
      begin_attempt(self);
    },
    [self](metrics_atom) { gather_metrics(self); },
    [self](checkpoint_atom, part_atom, uint64_t id, snapshot_chunks& part) {
      auto t = sender_task(self);
      if (!t) return;
      auto& parts = self->state.snapshot_parts[{*t, id}];
      for (auto& c : part) parts.push_back(std::move(c));
    },
    [self](checkpoint_atom, uint32_t, uint64_t id, snapshot_chunks& last, uint64_t alignment_us) {
      auto t = sender_task(self);
      if (!t) return;
      auto snapshot = whole_snapshot(self, *t, id, std::move(last));
      self->state.task_alignment_us[*t] = alignment_us;
      say(self, "snapshot for checkpoint " + std::to_string(id) + " sent, inputs held " + std::to_string(alignment_us) + " us for its barriers", log_level::debug, task_name(self, *t));
      if (self->state.coordinator) self->state.coordinator->on_snapshot(*t, id, std::move(snapshot), alignment_us);
    },
    [self](done_atom, task_report& report, snapshot_chunks& last) {
      auto t = sender_task(self);
      auto& st = self->state;
      if (!t) return;
      auto snapshot = whole_snapshot(self, *t, 0, std::move(last));
      if (st.phases[*t] != phase::running || !st.coordinator) return;
      st.phases[*t] = phase::finished;
      report.task = *t;
      say(self, "finished its input: in " + std::to_string(report.records_in) + " records, out " + std::to_string(report.records_out), log_level::debug, task_name(self, *t));
      st.reports[*t] = report;
      st.coordinator->on_task_finished(*t, std::move(snapshot));
    },
    [self](committed_atom, uint32_t) {
      auto t = sender_task(self);
      if (!t || self->state.cancelling || self->state.stopping) return;
      self->state.phases[*t] = phase::committed;
      all_committed(self);
    },
    [self](failed_atom, uint32_t, uint8_t code, std::string& message) {
      auto t = sender_task(self);
      if (!t) return;
      if (static_cast<errc>(code) == errc::malformed_frame) ++self->state.frames_rejected;
      // Restored state the job cannot use stays unusable however often it is tried.
      if (static_cast<errc>(code) == errc::incompatible_state && !self->state.cancelling)
        fail_run(self, errc::incompatible_state, message);
      else
        attempt_failed(self, static_cast<errc>(code), message, t); // the message names the task too
    },
    [self](trigger_atom, uint32_t attempt) {
      auto& st = self->state;
      if (st.attempt == attempt && st.coordinator && !st.stopping) st.coordinator->on_trigger();
    },
    [self](savepoint_atom, std::string& name, bool stop) { return request_savepoint(self, std::move(name), stop); },
    [self](stop_atom, uint32_t attempt) {
      if (self->state.attempt == attempt && self->state.stopping && !self->state.over) stop_after_savepoint(self);
    },
    [self](checkpoint_atom, timeout_atom, uint32_t attempt, uint64_t id) {
      auto& st = self->state;
      if (st.attempt == attempt && st.coordinator) st.coordinator->on_timeout(id);
    },
    [self](restart_atom, uint32_t attempt) {
      if (self->state.attempt == attempt && self->state.cancelling && !self->state.over) begin_attempt(self);
    },
    [self](rejoin_atom, uint32_t node) { ask_to_rejoin(self, node); },
    [self](rejoin_atom, timeout_atom, uint32_t episode) { waited_for_nodes(self, episode); },
    [self](status_atom) -> caf::result<std::string> { return status_text(self); },
    [self](status_atom, uint64_t pause) { status_pause_over(self, pause); },
    [self](query_atom, uint64_t checkpoint, std::string& savepoint, std::string& uid, std::string& key,
           bool has_key) -> caf::result<std::string> {
      // The store answers on its own thread: LevelDB admits one process, the job's.
      if (!self->state.how.store) return std::string("refused: the job keeps no checkpoints to query");
      auto answer = self->make_response_promise<std::string>();
      self->request(self->state.how.store, caf::infinite, query_atom::value, checkpoint, savepoint, uid, key, has_key)
        .then([answer](std::string& lines) mutable { answer.deliver(std::move(lines)); },
              [self, answer](caf::error& err) mutable {
                answer.deliver("refused: " + error_of(self, err).message());
              });
      return answer;
    },
    [self](cancel_atom) -> caf::result<std::string> {
      auto name = self->state.dep->graph->name;
      auto answer = self->make_response_promise<std::string>();
      answer.deliver("cancelling job '" + name + "'");
      fail_run(self, errc::cancelled, "job '" + name + "' was cancelled by a control request");
      return answer;
    },
    [self](timeout_atom) {
      auto& st = self->state;
      std::string running;
      for (uint32_t t = 0; t < st.tasks.size(); ++t)
        if (st.phases[t] != phase::committed && st.phases[t] != phase::down)
          running += (running.empty() ? "" : ", ") + task_name(self, t);
      fail_run(self, errc::timed_out,
               "job '" + st.dep->graph->name + "' did not finish within "
                 + std::to_string(st.dep->options.job_timeout_ms) + " ms; still running: " + running);
    },
  };
}

} // namespace supervising

caf::actor spawn_supervisor(caf::actor_system& sys, std::shared_ptr<const deployment> dep,
                            supervision how) {
  return sys.spawn(supervising::supervisor_behavior, std::move(dep), std::move(how));
}

} // namespace weir::runtime
