#include "supervisor.hpp"

#include "messages.hpp"

namespace weir::runtime {

namespace {

struct supervisor_state {
  std::shared_ptr<const deployment> dep;
  placement where;
  std::vector<caf::actor> tasks;
  std::vector<bool> done;
  std::vector<task_report> reports;
  size_t spawned = 0;
  size_t wired = 0;
  size_t finished = 0;
  bool failed = false;
  caf::response_promise promise;
  const char* name = "weir.supervisor";
};
using supervisor_actor = caf::stateful_actor<supervisor_state>;

std::string task_name(supervisor_actor* self, uint32_t task) {
  auto& dep = *self->state.dep;
  return dep.plan.task_name(*dep.graph, task);
}

/// Ends the run with `err`: stops all tasks, answers the caller, quits.
void fail(supervisor_actor* self, errc code, const std::string& message) {
  auto& st = self->state;
  if (st.failed) return;
  st.failed = true;
  for (auto& t : st.tasks)
    if (t) self->send_exit(t, caf::exit_reason::user_shutdown);
  if (st.promise.pending())
    st.promise.deliver(caf::make_error(caf::sec::runtime_error, static_cast<uint8_t>(code), message));
  self->quit();
}

void start_all(supervisor_actor* self) {
  for (auto& t : self->state.tasks) self->send(t, start_atom::value);
}

/// Sends every task its channel endpoints; starts all once all acknowledged,
/// so no credit or frame reaches a task that does not know its channels yet.
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
  for (size_t t = 0; t < st.tasks.size(); ++t) {
    self->request(st.tasks[t], caf::infinite, wire_atom::value, outs[t], ins[t])
      .then([self](ack_atom) {
              if (++self->state.wired == self->state.tasks.size()) start_all(self);
            },
            [self, t](caf::error& err) {
              fail(self, errc::operator_failed, task_name(self, static_cast<uint32_t>(t))
                                                  + " could not be wired: " + self->system().render(err));
            });
  }
}

void task_spawned(supervisor_actor* self, uint32_t task, caf::actor actor) {
  auto& st = self->state;
  if (st.failed) { // deployed after the run failed: stop it right away
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
  st.tasks.resize(n);
  st.done.assign(n, false);
  for (uint32_t t = 0; t < n; ++t) {
    int node = t < st.where.node_of_task.size() ? st.where.node_of_task[t] : -1;
    if (node < 0) {
      task_spawned(self, t, spawn_task(self->system(), st.dep, t, caf::actor_cast<caf::actor>(self)));
      continue;
    }
    const auto& g = *st.dep->graph;
    deploy_request req{st.where.job,        st.where.args,         to_wire(st.dep->options), t,
                       g.chaining,          g.max_parallelism,     g.default_parallelism,
                       task_name(self, t),  st.dep->run_id};
    self->request(st.where.nodes[node], std::chrono::seconds(30), deploy_atom::value, req,
                  caf::actor_cast<caf::actor>(self))
      .then([self, t](caf::actor& actor) { task_spawned(self, t, std::move(actor)); },
            [self, t, node](caf::error& err) {
              fail(self, errc::unreachable, "node " + std::to_string(node) + " could not deploy "
                                              + task_name(self, t) + ": "
                                              + self->system().render(err));
            });
  }
}

caf::behavior supervisor_behavior(supervisor_actor* self, std::shared_ptr<const deployment> dep,
                                  placement where) {
  self->state.dep = std::move(dep);
  self->state.where = std::move(where);
  self->set_down_handler([self](caf::down_msg& msg) {
    auto& st = self->state;
    for (size_t t = 0; t < st.tasks.size(); ++t) {
      if (st.tasks[t].address() != msg.source || st.done[t]) continue;
      fail(self, errc::operator_failed,
           task_name(self, static_cast<uint32_t>(t)) + " died: " + self->system().render(msg.reason));
    }
  });
  return {
    [self](run_atom) {
      self->state.promise = self->make_response_promise();
      auto limit = self->state.dep->options.job_timeout_ms;
      if (limit > 0) self->delayed_send(self, std::chrono::milliseconds(limit), timeout_atom::value);
      spawn_all(self);
    },
    [self](done_atom, task_report& report) {
      auto& st = self->state;
      if (report.task >= st.done.size() || st.done[report.task]) return;
      st.done[report.task] = true;
      st.reports.push_back(report);
      if (++st.finished == st.tasks.size()) {
        st.promise.deliver(st.reports);
        self->quit();
      }
    },
    [self](timeout_atom) {
      auto& st = self->state;
      std::string running;
      for (uint32_t t = 0; t < st.tasks.size(); ++t)
        if (!st.done[t]) running += (running.empty() ? "" : ", ") + task_name(self, t);
      fail(self, errc::timed_out,
           "job '" + st.dep->graph->name + "' did not finish within "
             + std::to_string(st.dep->options.job_timeout_ms) + " ms; still running: " + running);
    },
    [self](failed_atom, uint32_t, uint8_t code, std::string& message) {
      // The message already names the failed task and operator.
      fail(self, static_cast<errc>(code), message);
    },
  };
}

} // namespace

caf::actor spawn_supervisor(caf::actor_system& sys, std::shared_ptr<const deployment> dep,
                            placement where) {
  return sys.spawn(supervisor_behavior, std::move(dep), std::move(where));
}

} // namespace weir::runtime
