#include "task_actor.hpp"

#include "messages.hpp"
#include "task_core.hpp"

namespace weir::runtime {

namespace {

/// Maps task_core's needs onto CAF messages.
class actor_transport final : public task_transport {
public:
  actor_transport(caf::event_based_actor* self, size_t part_bytes) : self_(self), part_bytes_(part_bytes) {}

  std::vector<endpoint> outputs; // per out channel: consumer and its in channel
  std::vector<endpoint> inputs;  // per in channel: producer and its out channel
  caf::actor supervisor;
  uint32_t task = 0;

  uint64_t bytes_out = 0; // of the frames sent

  void send_frame(uint32_t out_channel, std::vector<char> bytes) override {
    bytes_out += bytes.size();
    const auto& to = outputs[out_channel];
    self_->send(to.actor, frame_atom::value, to.channel, std::move(bytes));
  }
  void grant_credit(uint32_t in_channel, uint32_t frames) override {
    const auto& to = inputs[in_channel];
    self_->send(to.actor, credit_atom::value, to.channel, frames);
  }
  void schedule_resume() override { self_->send(self_, resume_atom::value); }
  void schedule_timer(std::chrono::milliseconds delay) override {
    self_->delayed_send(self_, delay, timer_atom::value);
  }
  void schedule_resume_after(std::chrono::milliseconds delay) override {
    self_->delayed_send(self_, delay, resume_atom::value);
  }
  void schedule_flush(std::chrono::milliseconds delay) override {
    self_->delayed_send(self_, delay, flush_atom::value);
  }
  void checkpoint_taken(uint64_t id, snapshot_chunks snapshot, uint64_t alignment_us) override {
    self_->send(supervisor, checkpoint_atom::value, task, id, parts_ahead(id, std::move(snapshot)), alignment_us);
  }
  void finished(const task_stats& s, snapshot_chunks snapshot) override {
    task_report r{task, s.records_in, s.records_out, s.source_records, s.sink_records,
                  s.blocked_turns, s.late_records};
    self_->send(supervisor, done_atom::value, r, parts_ahead(0, std::move(snapshot)));
  }
  void committed() override {
    self_->send(supervisor, committed_atom::value, task);
    self_->quit();
  }

private:
  /// Sends all but the last part of a snapshot (of checkpoint `id`; 0: the
  /// final one) ahead, in order, so no message exceeds what a process reads;
  /// returns the last.
  snapshot_chunks parts_ahead(uint64_t id, snapshot_chunks snapshot) {
    auto parts = message_parts(std::move(snapshot), part_bytes_);
    for (size_t i = 0; i + 1 < parts.size(); ++i)
      self_->send(supervisor, checkpoint_atom::value, part_atom::value, id, std::move(parts[i]));
    return std::move(parts.back());
  }

  caf::event_based_actor* self_;
  size_t part_bytes_;
};

struct task_state {
  std::unique_ptr<actor_transport> transport;
  std::unique_ptr<task_core> core;
  std::vector<char> restoring; // parts of the state to restore that came ahead
  const char* name = "weir.task";
};
using task_actor = caf::stateful_actor<task_state>;

/// Reports a task's error to its supervisor and stops the task.
void fail(task_actor* self, const error& err) {
  auto& tr = *self->state.transport;
  self->send(tr.supervisor, failed_atom::value, tr.task, static_cast<uint8_t>(err.code()),
             err.message());
  self->quit(caf::make_error(caf::sec::runtime_error, err.to_string()));
}

caf::behavior task_behavior(task_actor* self, std::shared_ptr<const deployment> dep,
                            uint32_t task, caf::actor supervisor) {
  auto& st = self->state;
  st.transport = std::make_unique<actor_transport>(self, state_part_bytes(dep->options));
  st.transport->supervisor = supervisor;
  st.transport->task = task;
  try {
    st.core = std::make_unique<task_core>(*dep->graph, dep->plan, task, dep->options, *st.transport,
                                          task_context{dep->run_id, dep->checkpointing});
  } catch (const std::exception& ex) {
    fail(self, {errc::operator_failed, dep->plan.task_name(*dep->graph, task) + ": " + ex.what()});
    return {};
  }
  auto check = [self](const error& err) {
    if (err) fail(self, err);
  };
  // A task outlives no supervisor: when the coordinator's process dies, tasks
  // on nodes stop instead of holding files and memory forever.
  self->monitor(supervisor);
  self->set_down_handler([self](caf::down_msg&) { self->quit(caf::exit_reason::user_shutdown); });
  return {
    [self](wire_atom, std::vector<endpoint>& outputs, std::vector<endpoint>& inputs) {
      self->state.transport->outputs = std::move(outputs);
      self->state.transport->inputs = std::move(inputs);
      return ack_atom::value;
    },
    // A restore that fails is answered (code and message), not reported as
    // a task failure: the supervisor decides whether another attempt helps.
    [self](restore_atom, part_atom, std::vector<char>& part) {
      auto& restoring = self->state.restoring;
      restoring.insert(restoring.end(), part.begin(), part.end());
    },
    [self](restore_atom, std::vector<char>& last) -> caf::result<ack_atom> {
      auto bytes = std::move(self->state.restoring);
      if (bytes.empty())
        bytes = std::move(last); // it came in one message: no copy
      else
        bytes.insert(bytes.end(), last.begin(), last.end());
      auto snap = detail::decode_task_snapshot(std::string_view(bytes.data(), bytes.size()));
      auto err = snap ? self->state.core->restore(*snap) : snap.error_value();
      if (!err) return ack_atom::value;
      self->quit(caf::exit_reason::user_shutdown);
      return caf::make_error(caf::sec::runtime_error, static_cast<uint8_t>(err.code()), err.message());
    },
    [self, check](start_atom) { check(self->state.core->start()); },
    [self, check](frame_atom, uint32_t ch, std::vector<char>& bytes) {
      // Taken by mutable reference: a local message has one owner, so the
      // bytes move into the task without a copy.
      check(self->state.core->on_frame(ch, std::move(bytes)));
    },
    [self, check](credit_atom, uint32_t ch, uint32_t frames) {
      check(self->state.core->on_credit(ch, frames));
    },
    [self, check](resume_atom) { check(self->state.core->on_resume()); },
    [self, check](flush_atom) { check(self->state.core->on_flush_timer()); },
    [self, check](timer_atom) { check(self->state.core->on_processing_timer()); },
    [self, check](trigger_atom, uint64_t id) { check(self->state.core->trigger_checkpoint(id)); },
    [self, check](abort_atom, uint64_t id) { check(self->state.core->abort_checkpoint(id)); },
    [self, check](complete_atom, uint64_t id, bool final) {
      check(self->state.core->checkpoint_complete(id, final));
    },
    // For `weir job status` and the metrics: the event time this task has
    // reached, its traffic, queue and credits, and where its time went.
    [self](status_atom) -> task_status {
      const auto& core = *self->state.core;
      const auto& s = core.stats();
      auto t = core.time_spent();
      task_status out;
      out.watermark = core.output_watermark();
      out.records_in = s.records_in;
      out.records_out = core.records_out();
      out.bytes_in = s.bytes_in;
      out.bytes_out = self->state.transport->bytes_out;
      out.late_records = core.late_records();
      out.queued_frames = core.queued_frames();
      out.credits = core.credits();
      out.busy_ns = t.busy_ns;
      out.backpressured_ns = t.backpressured_ns;
      out.idle_ns = t.idle_ns;
      return out;
    },
  };
}

} // namespace

caf::actor spawn_task(caf::actor_system& sys, std::shared_ptr<const deployment> dep, uint32_t task,
                      const caf::actor& supervisor) {
  return sys.spawn(task_behavior, std::move(dep), task, supervisor);
}

} // namespace weir::runtime
