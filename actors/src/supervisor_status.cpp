// What `weir job status` prints, asked of the supervisor and its tasks.

#include "bottleneck.hpp"
#include "supervisor_state.hpp"

namespace weir::runtime::supervising {

std::vector<std::pair<uint32_t, uint32_t>> channel_edges(const detail::physical_plan& plan) {
  std::vector<std::pair<uint32_t, uint32_t>> edges;
  for (const auto& ch : plan.channels)
    edges.emplace_back(ch.producer_task, ch.consumer_task);
  return edges;
}

void ask_running_tasks(supervisor_actor* self, std::function<void(uint32_t, task_status&)> each,
                       std::function<void()> done) {
  auto& st = self->state;
  auto waiting = std::make_shared<size_t>(1); // released below, once every request is out
  auto answered = [waiting, done] {
    if (--*waiting == 0) done();
  };
  for (uint32_t t = 0; t < st.phases.size(); ++t) {
    if (!st.tasks[t] || (st.phases[t] != phase::running && st.phases[t] != phase::finished))
      continue;
    ++*waiting;
    self->request(st.tasks[t], std::chrono::seconds(2), status_atom::value)
        .then(
            [t, each, answered](task_status& s) {
              each(t, s);
              answered();
            },
            [answered](caf::error&) { answered(); });
  }
  answered();
}

namespace {

const char* phase_name(phase p) {
  switch (p) {
  case phase::deploying:
    return "deploying";
  case phase::running:
    return "running";
  case phase::finished:
    return "finished";
  case phase::committed:
    return "committed";
  case phase::down:
    return "down";
  }
  return "?";
}

std::string watermark_text(int64_t wm) {
  if (wm == INT64_MIN) return "no watermark yet";
  if (wm == INT64_MAX) return "watermark: end of input";
  return "watermark " + std::to_string(wm);
}

/// "in 1200 records (35 KB), out 1200 records (40 KB)".
std::string traffic_text(uint64_t records_in, uint64_t records_out, uint64_t bytes_in,
                         uint64_t bytes_out) {
  auto kb = [](uint64_t b) { return std::to_string((b + 512) / 1024) + " KB"; };
  return "in " + std::to_string(records_in) + " records (" + kb(bytes_in) + "), out "
         + std::to_string(records_out) + " records (" + kb(bytes_out) + ")";
}

/// "busy 12%, backpressured 30%, idle 58%": shares of the time between two
/// answers of one task.
std::string time_text(const task_status& before, const task_status& now) {
  auto busy = now.busy_ns - before.busy_ns;
  auto bp = now.backpressured_ns - before.backpressured_ns;
  auto idle = now.idle_ns - before.idle_ns;
  double total = static_cast<double>(busy + bp + idle);
  auto pct = [total](uint64_t ns) {
    return std::to_string(
               total > 0 ? static_cast<int>(100.0 * static_cast<double>(ns) / total + 0.5) : 0)
           + "%";
  };
  return "busy " + pct(busy) + ", backpressured " + pct(bp) + ", idle " + pct(idle);
}

/// How long `weir job status` watches the tasks: shares and rates are over
/// this pause between two answers, so they say what the job does now, not
/// over its life (a task slow only in its first minute is not named later).
constexpr auto status_pause = std::chrono::milliseconds(500);

/// One `weir job status` being answered: each task's first answer, and
/// what the second round makes of it.
struct status_gathering {
  std::vector<std::string> figures; // per task: what the second round adds to its line
  std::vector<std::optional<task_status>> first;
  std::vector<task_share> shares;
  uint32_t attempt = 0;
  caf::response_promise answer;
};

std::string rate_text(uint64_t before, uint64_t now) {
  if (now < before) return "0";
  auto per_s =
      static_cast<double>(now - before) * 1000.0 / static_cast<double>(status_pause.count());
  return std::to_string(static_cast<uint64_t>(per_s + 0.5));
}

/// The job's line, its nodes' and every task's phase and node, as they are
/// when the answer goes out (not when it was asked: half a second earlier).
std::string status_head(supervisor_actor* self) {
  auto& st = self->state;
  auto doing = st.waiting_for_nodes ? "waiting for a lost node"
               : st.cancelling      ? "restarting"
                                    : "running";
  auto head =
      "job " + st.dep->graph->name + ": " + doing + ", attempt " + std::to_string(st.attempt) + ", "
      + std::to_string(st.restarts) + " restart(s), " + std::to_string(st.completed)
      + " checkpoint(s) completed"
      + (st.last_checkpoint > 0 ? " (latest " + std::to_string(st.last_checkpoint) + ")" : "")
      + "\n";
  if (st.waiting_for_nodes) head += "  " + waiting_text(self) + "\n";
  const auto& where = st.how.where;
  for (size_t n = 0; n < where.nodes.size(); ++n)
    head += "  node " + where.addresses[n] + ": " + (st.lost_nodes[n] ? "lost" : "up") + ", "
            + std::to_string(where.slots[n]) + " slot(s)\n";
  return head;
}

/// "  count[0/2]: running on node H:P" and what `figures` says of it.
std::string task_line(supervisor_actor* self, uint32_t t, const std::string& figures) {
  int node = node_of(self, t);
  return "  " + task_name(self, t) + ": " + phase_name(self->state.phases[t])
         + (node < 0 ? std::string() : " on node " + self->state.how.where.addresses[size_t(node)])
         + figures + "\n";
}

/// The second round: each task's line gets its totals and what it did
/// since its first answer; then the bottleneck on those shares.
void second_round(supervisor_actor* self, std::shared_ptr<status_gathering> g) {
  auto each = [g](uint32_t t, task_status& s) {
    if (t >= g->first.size() || !g->first[t]) return;
    const auto& before = *g->first[t];
    if (s.busy_ns < before.busy_ns || s.records_in < before.records_in) return; // restarted
    auto busy = s.busy_ns - before.busy_ns;
    auto bp = s.backpressured_ns - before.backpressured_ns;
    auto idle = s.idle_ns - before.idle_ns;
    double total = static_cast<double>(busy + bp + idle);
    if (total > 0)
      g->shares[t] = {true, static_cast<double>(busy) / total, static_cast<double>(bp) / total};
    g->figures[t] = ", " + watermark_text(s.watermark) + ", "
                    + traffic_text(s.records_in, s.records_out, s.bytes_in, s.bytes_out)
                    + "; last 0.5 s: " + rate_text(before.records_in, s.records_in)
                    + " records/s in, " + time_text(before, s);
  };
  auto edges = channel_edges(self->state.dep->plan);
  auto done = [self, g, edges] {
    std::string out = status_head(self);
    if (self->state.attempt != g->attempt) out += "  (the job restarted while asked: ask again)\n";
    for (uint32_t t = 0; t < g->figures.size() && t < self->state.phases.size(); ++t)
      out += task_line(self, t, g->figures[t]);
    if (auto t = find_bottleneck(edges, g->shares))
      out += "  bottleneck: " + task_name(self, *t) + ", busy "
             + std::to_string(static_cast<int>(100 * g->shares[*t].busy + 0.5))
             + "% with credit to send on, while what feeds it waits for credit\n";
    g->answer.deliver(std::move(out));
  };
  ask_running_tasks(self, each, done);
}

} // namespace

/// What `weir job status` prints: the job, its attempt, checkpoints, its
/// nodes (up or lost), and each task's phase, node, watermark, totals and
/// what it did over the last half second (asked of the running tasks twice,
/// 2 s each at most).
caf::result<std::string> status_text(supervisor_actor* self) {
  auto& st = self->state;
  auto g = std::make_shared<status_gathering>();
  g->first.resize(st.phases.size());
  g->figures.resize(st.phases.size());
  g->shares.resize(st.phases.size());
  g->attempt = st.attempt;
  g->answer = self->make_response_promise<std::string>();
  auto each = [g](uint32_t t, task_status& s) {
    if (t < g->first.size()) g->first[t] = s;
  };
  auto done = [self, g] {
    auto id = ++self->state.status_pauses_made;
    self->state.status_pauses.emplace(id, [self, g] { second_round(self, g); });
    self->delayed_send(self, status_pause, status_atom::value, id);
  };
  ask_running_tasks(self, each, done);
  return g->answer;
}

void status_pause_over(supervisor_actor* self, uint64_t id) {
  auto& pauses = self->state.status_pauses;
  auto it = pauses.find(id);
  if (it == pauses.end()) return;
  auto next = std::move(it->second);
  pauses.erase(it);
  next();
}

} // namespace weir::runtime::supervising
