// environment::check_savepoint: a run from a savepoint, up to the restore of
// every task, without running anything or changing the state dir.

#include "checkpoint_store.hpp"
#include "run_recovery.hpp"
#include "store_access.hpp"
#include "task_core.hpp"
#include "weir/stream.hpp"

namespace weir {

namespace {

/// Takes nothing anywhere: the tasks of a dry run are restored, never started.
class no_transport final : public runtime::task_transport {
public:
  void send_frame(uint32_t, std::vector<char>) override {}
  void grant_credit(uint32_t, uint32_t) override {}
  void schedule_resume() override {}
  void schedule_resume_after(std::chrono::milliseconds) override {}
  void schedule_flush(std::chrono::milliseconds) override {}
  void schedule_timer(std::chrono::milliseconds) override {}
  void finished(const runtime::task_stats&, runtime::snapshot_chunks) override {}
  void committed() override {}
  void checkpoint_taken(uint64_t, runtime::snapshot_chunks, uint64_t) override {}
};

/// Per operator of the job: where its state comes from.
std::string mapping(const detail::job_graph& graph, const detail::physical_plan& plan,
                    const runtime::checkpoint_manifest& m, bool allow_unmatched) {
  std::map<std::string, uint32_t> stored(m.operators.begin(), m.operators.end());
  std::string out;
  for (const auto& v : graph.vertices) {
    auto p = plan.vertex_parallelism[v.id];
    auto it = stored.find(v.uid);
    out += "  " + v.uid + " (" + v.name + ", parallelism " + std::to_string(p) + "): ";
    if (!v.stateful) {
      out += "no state\n";
      if (it != stored.end()) stored.erase(it);
      continue;
    }
    if (it == stored.end()) {
      out += v.stateful ? "new: starts empty\n" : "no state\n";
      continue;
    }
    out += "restored";
    if (it->second != p) out += ", rescaled from parallelism " + std::to_string(it->second);
    out += "\n";
    stored.erase(it);
  }
  for (const auto& [uid, p] : stored)
    out += "  " + uid + " (in the savepoint only): " + (allow_unmatched ? "left behind\n" : "refused\n");
  return out;
}

} // namespace

expected<std::string> environment::check_savepoint(const std::string& job_name) {
  graph_->name = job_name;
  const auto& c = options_.checkpoints;
  if (c.from_savepoint.empty() || c.state_dir.empty())
    return error{errc::bad_argument, "checking a savepoint needs checkpoints.from_savepoint and checkpoints.state_dir"};
  auto plan = detail::make_plan(*graph_);
  if (!plan) return plan.error_value();
  if (auto err = detail::check_savepoint_uids(*graph_)) return err;
  std::string report;
  auto err = runtime::with_job(c.state_dir, job_name, [&](runtime::checkpoint_store& store) -> error {
    auto at = store.find_savepoint(c.from_savepoint);
    if (!at) return at.error_value();
    auto m = store.manifest(*at);
    if (!m) return m.error_value();
    report = "job '" + job_name + "' from " + at->describe() + " (checkpoint " + std::to_string(m->summary.id)
             + ", Weir " + (m->savepoint ? m->savepoint->weir_version : "?") + ")\n"
             + mapping(*graph_, *plan, *m, c.allow_non_restored_state);
    auto states = store.load(*at, *graph_, *plan, c.allow_non_restored_state);
    if (!states) return states.error_value();
    // Every task restored as the run would restore it: field types, rescaling
    // of sources and sinks, corrupt bytes all show here.
    no_transport transport;
    for (uint32_t t = 0; t < states->size(); ++t) {
      auto snap = detail::decode_task_snapshot(std::string_view((*states)[t].data(), (*states)[t].size()));
      if (!snap) return snap.error_value();
      runtime::task_core core(*graph_, *plan, t, options_, transport, runtime::task_context{0, true});
      if (auto restored = core.restore(*snap)) return restored;
    }
    return {};
  });
  if (err) return err;
  return report + "every task restores\n";
}

} // namespace weir
