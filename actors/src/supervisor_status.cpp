// What `weir job status` prints, asked of the supervisor and its tasks.

#include "bottleneck.hpp"
#include "supervisor_state.hpp"

namespace weir::runtime::supervising {

namespace {

task_share share_of(uint64_t busy, uint64_t backpressured, uint64_t idle) {
  double total = static_cast<double>(busy + backpressured + idle);
  if (total <= 0) return {};
  return {true, static_cast<double>(busy) / total, static_cast<double>(backpressured) / total};
}

} // namespace

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
    if (!st.tasks[t] || (st.phases[t] != phase::running && st.phases[t] != phase::finished)) continue;
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

/// "busy 12%, backpressured 30%, idle 58%": shares of the task's wall time.
std::string time_text(uint64_t busy, uint64_t backpressured, uint64_t idle) {
  double total = static_cast<double>(busy + backpressured + idle);
  auto pct = [total](uint64_t ns) {
    return std::to_string(
               total > 0 ? static_cast<int>(100.0 * static_cast<double>(ns) / total + 0.5) : 0)
           + "%";
  };
  return "busy " + pct(busy) + ", backpressured " + pct(backpressured) + ", idle " + pct(idle);
}

/// What `weir job status` prints: the job, its attempt, checkpoints, its
/// nodes (up or lost), and each task's phase, node and watermark (asked of
/// the running tasks, 2 s each).
caf::result<std::string> status_text(supervisor_actor* self) {
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
  struct gathering {
    std::string head;
    std::vector<std::string> lines;
    std::vector<task_share> shares;
    caf::response_promise answer;
  };
  auto g = std::make_shared<gathering>();
  g->head = std::move(head);
  g->shares.resize(st.phases.size());
  g->answer = self->make_response_promise<std::string>();
  for (uint32_t t = 0; t < st.phases.size(); ++t) {
    int node = node_of(self, t);
    g->lines.push_back("  " + task_name(self, t) + ": " + phase_name(st.phases[t])
                       + (node < 0 ? std::string() : " on node " + where.addresses[size_t(node)])
                       + "\n");
  }
  auto edges = channel_edges(st.dep->plan);
  auto each = [g](uint32_t t, task_status& s) {
    auto& line = g->lines[t];
    g->shares[t] = share_of(s.busy_ns, s.backpressured_ns, s.idle_ns);
    line.insert(line.size() - 1, ", " + watermark_text(s.watermark) + ", "
                                     + traffic_text(s.records_in, s.records_out, s.bytes_in, s.bytes_out)
                                     + ", " + time_text(s.busy_ns, s.backpressured_ns, s.idle_ns));
  };
  auto done = [self, g, edges] {
    std::string out = g->head;
    for (const auto& l : g->lines)
      out += l;
    if (auto t = find_bottleneck(edges, g->shares))
      out += "  bottleneck: " + task_name(self, *t) + ", busy "
             + std::to_string(static_cast<int>(100 * g->shares[*t].busy + 0.5))
             + "% with credit to send on, while what feeds it waits for credit\n";
    g->answer.deliver(std::move(out));
  };
  ask_running_tasks(self, each, done);
  return g->answer;
}

} // namespace weir::runtime::supervising
