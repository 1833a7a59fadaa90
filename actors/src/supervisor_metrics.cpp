// Live metrics: every interval the supervisor asks its running tasks for
// their figures and hands the job's snapshot to its reporters (how.on_metrics).
// Rates and time shares are over the interval, against the previous answer
// of the same task in the same attempt.

#include <algorithm>

#include "bottleneck.hpp"
#include "supervisor_state.hpp"

namespace weir::runtime::supervising {

namespace {

using steady = std::chrono::steady_clock;

/// What differs between two answers of one task, per second and as shares.
void fill_interval(task_metrics& m, const supervisor_state::metrics_sample& before,
                   const task_status& now, steady::time_point at) {
  double seconds = std::chrono::duration<double>(at - before.at).count();
  const auto& b = before.figures;
  if (seconds > 0 && now.records_in >= b.records_in && now.records_out >= b.records_out) {
    m.records_in_per_s = static_cast<double>(now.records_in - b.records_in) / seconds;
    m.records_out_per_s = static_cast<double>(now.records_out - b.records_out) / seconds;
  }
  auto busy = now.busy_ns - b.busy_ns;
  auto bp = now.backpressured_ns - b.backpressured_ns;
  auto idle = now.idle_ns - b.idle_ns;
  double total = static_cast<double>(busy + bp + idle);
  if (total <= 0 || now.busy_ns < b.busy_ns) return;
  m.busy_share = static_cast<double>(busy) / total;
  m.backpressured_share = static_cast<double>(bp) / total;
  m.idle_share = static_cast<double>(idle) / total;
}

task_metrics task_figures(supervisor_actor* self, uint32_t t) {
  const auto& st = self->state;
  const auto& dep = *st.dep;
  const auto& spec = dep.plan.tasks[t];
  const auto& chain = dep.plan.chains[spec.chain];
  task_metrics m;
  for (int v : chain.vertices)
    m.operator_uid += (m.operator_uid.empty() ? "" : "->") + dep.graph->vertices[v].uid;
  m.subtask = spec.subtask;
  m.parallelism = chain.parallelism;
  int node = node_of(self, t);
  if (node >= 0) m.node = st.how.where.addresses[size_t(node)];
  if (auto a = st.task_alignment_us.find(t); a != st.task_alignment_us.end())
    m.checkpoint_alignment_us = a->second;
  if (auto b = st.task_checkpoint_bytes.find(t); b != st.task_checkpoint_bytes.end())
    m.checkpoint_bytes = b->second.second;
  return m;
}

void answered(task_metrics& m, const task_status& s) {
  m.running = true;
  m.watermark = s.watermark;
  m.records_in = s.records_in;
  m.records_out = s.records_out;
  m.bytes_in = s.bytes_in;
  m.bytes_out = s.bytes_out;
  m.late_records = s.late_records;
  m.queued_frames = s.queued_frames;
  m.credits = s.credits;
  m.busy_ns = s.busy_ns;
  m.backpressured_ns = s.backpressured_ns;
  m.idle_ns = s.idle_ns;
}

std::optional<size_t> bottleneck_of(supervisor_actor* self, const job_metrics& m) {
  std::vector<task_share> shares(m.tasks.size());
  for (size_t t = 0; t < m.tasks.size(); ++t)
    if (m.tasks[t].running
        && m.tasks[t].busy_share + m.tasks[t].backpressured_share + m.tasks[t].idle_share > 0)
      shares[t] = {true, m.tasks[t].busy_share, m.tasks[t].backpressured_share};
  auto found = find_bottleneck(channel_edges(self->state.dep->plan), shares);
  if (!found) return std::nullopt;
  return size_t{*found};
}

void schedule_next(supervisor_actor* self) {
  auto interval = std::max<uint32_t>(self->state.dep->options.metrics.interval_ms, 10);
  self->delayed_send(self, std::chrono::milliseconds(interval), metrics_atom::value);
}

} // namespace

void gather_metrics(supervisor_actor* self) {
  auto& st = self->state;
  if (st.over || !st.how.on_metrics) return;
  if (st.gathering_metrics) return; // the round out schedules the next
  st.gathering_metrics = true;
  auto snapshot = std::make_shared<job_metrics>();
  snapshot->job = st.dep->graph->name;
  snapshot->attempt = st.attempt;
  snapshot->restarts = st.restarts;
  snapshot->checkpoints_completed = st.completed;
  snapshot->checkpoints_failed = st.checkpoints_failed;
  snapshot->frames_rejected = st.frames_rejected;
  snapshot->checkpoints = st.checkpoint_history;
  for (uint32_t t = 0; t < st.phases.size(); ++t)
    snapshot->tasks.push_back(task_figures(self, t));
  auto edges = channel_edges(st.dep->plan);
  std::sort(edges.begin(), edges.end());
  edges.erase(std::unique(edges.begin(), edges.end()), edges.end());
  snapshot->channels = std::move(edges);
  st.metrics_previous.resize(st.phases.size());
  auto attempt = st.attempt;
  auto each = [self, snapshot, attempt](uint32_t t, task_status& s) {
    auto& st = self->state;
    if (st.attempt != attempt || t >= snapshot->tasks.size()) return;
    auto at = steady::now();
    auto& m = snapshot->tasks[t];
    answered(m, s);
    auto& before = st.metrics_previous[t];
    if (before.attempt == attempt) fill_interval(m, before, s, at);
    before = {attempt, at, s};
  };
  auto done = [self, snapshot] {
    auto& st = self->state;
    st.gathering_metrics = false;
    if (st.over) return;
    snapshot->wall_ms = wall_clock_ms();
    snapshot->bottleneck = bottleneck_of(self, *snapshot);
    st.how.on_metrics(*snapshot);
    schedule_next(self);
  };
  ask_running_tasks(self, each, done);
}

void note_checkpoint(supervisor_actor* self, const checkpoint_summary& summary) {
  auto& history = self->state.checkpoint_history;
  history.push_back(
      {summary.id, summary.started_ms, summary.duration_ms, summary.alignment_us, summary.bytes});
  if (history.size() > job_metrics::max_history) history.erase(history.begin());
}

} // namespace weir::runtime::supervising
