#include "weir/version.hpp"
#include "store_actor.hpp"

#include <algorithm>
#include <chrono>

#include "messages.hpp"
#include "store_access.hpp"
#include "task_actor.hpp"

namespace weir::runtime {

namespace {

caf::error to_caf(const error& err) {
  return caf::make_error(caf::sec::runtime_error, static_cast<uint8_t>(err.code()), err.message());
}

/// The most a live state query answers with: a query of every key of a
/// large state is for a stopped job (offline, streamed).
constexpr size_t max_live_answer = 16u << 20;

/// A state query on the job's own store: "checkpoint <id>" then a JSON line per key.
caf::result<std::string> answer_query(checkpoint_store& store, state_query q) {
  std::string out;
  size_t lines = 0;
  bool too_big = false;
  auto id = query_store(store, q, [&](const std::string& line) {
    if (too_big || out.size() + line.size() + 1 > max_live_answer) {
      too_big = true;
      return;
    }
    out += line;
    out += '\n';
    ++lines;
  });
  if (!id) return to_caf(id.error_value());
  if (too_big)
    return to_caf(error{errc::bad_argument, "the answer exceeds " + std::to_string(max_live_answer >> 20)
                                              + " MiB after " + std::to_string(lines)
                                              + " keys: ask for one --key, or query the stopped job offline"});
  return "checkpoint " + std::to_string(*id) + "\n" + out;
}

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           std::chrono::system_clock::now().time_since_epoch()).count();
}

/// The newest complete checkpoint not in `bad` that loads, and every task's
/// state in it; falls back past checkpoints that cannot be read, saying so.
/// Without any checkpoint, the savepoint the run started from, if any; else
/// (0, nothing). An error when there were some and none loads: never a
/// silent start from empty state.
expected<std::pair<uint64_t, std::vector<std::vector<char>>>>
load_newest(checkpoint_store& store, const deployment& dep, std::vector<uint64_t> bad,
            const std::optional<snapshot_ref>& savepoint) {
  if (auto err = store.remove_incomplete()) return err;
  auto ids = store.complete_ids();
  if (!ids) return ids.error_value();
  if (ids->empty() && savepoint) {
    auto m = store.manifest(*savepoint);
    if (!m) return m.error_value();
    auto states = store.load(*savepoint, *dep.graph, dep.plan, dep.options.checkpoints.allow_non_restored_state);
    if (!states) return states.error_value();
    return std::make_pair(m->summary.id, std::move(*states));
  }
  std::string failures;
  for (auto it = ids->rbegin(); it != ids->rend(); ++it) {
    if (std::find(bad.begin(), bad.end(), *it) != bad.end()) continue;
    auto states = store.load(*it, *dep.graph, dep.plan);
    if (states) return std::make_pair(*it, std::move(*states));
    auto why = "checkpoint " + std::to_string(*it) + ": " + states.error_value().message();
    if (dep.options.log_events)
      dep.options.log_events({log_level::warn, dep.graph->name, "", "cannot restore " + why + "; trying the checkpoint before it",
                              wall_clock_ms()});
    failures += (failures.empty() ? "" : "; ") + why;
    bad.push_back(*it);
  }
  if (!bad.empty())
    return error{errc::corrupt_state, "no usable checkpoint is left in " + store.where()
                                        + (failures.empty() ? "" : ": " + failures)};
  return std::make_pair(uint64_t{0}, std::vector<std::vector<char>>{});
}

caf::behavior store_behavior(caf::event_based_actor* self, std::shared_ptr<const deployment> dep,
                             std::shared_ptr<checkpoint_store> store, run_record run,
                             std::optional<snapshot_ref> savepoint) {
  std::vector<std::pair<std::string, uint32_t>> operators;
  for (const auto& v : dep->graph->vertices) operators.emplace_back(v.uid, dep->plan.vertex_parallelism[v.id]);
  return {
    [=](store_atom, uint64_t id, uint32_t task, std::vector<char>& bytes) -> caf::result<uint64_t> {
      const auto& spec = dep->plan.tasks[task];
      const auto& head = dep->graph->vertices[dep->plan.chains[spec.chain].vertices.front()].uid;
      auto n = store->write_task(id, head, spec.subtask, bytes);
      if (!n) return to_caf(n.error_value());
      return *n;
    },
    [=](manifest_atom, checkpoint_summary& s) -> caf::result<uint32_t, std::string> {
      if (auto err = store->commit(s, dep->graph->max_parallelism, operators)) return to_caf(err);
      if (s.savepoint.empty()) return {uint32_t{0}, std::string{}};
      // The checkpoint is complete whatever becomes of its savepoint copy.
      auto version = store->keep_as_savepoint(
        s.id, {s.savepoint, 0, wall_ms(), run.fingerprint, weir::version, dep->graph->version});
      if (!version) return {uint32_t{0}, version.error_value().message()};
      return {*version, std::string{}};
    },
    [=](abort_atom, uint64_t id, std::string& reason) -> caf::result<bool> {
      auto kept = store->abandon(id, reason);
      if (!kept) return to_caf(kept.error_value());
      return *kept;
    },
    [=](load_atom, std::vector<uint64_t>& bad) -> caf::result<uint64_t, std::vector<std::vector<char>>> {
      auto loaded = load_newest(*store, *dep, bad, savepoint);
      if (!loaded) return to_caf(loaded.error_value());
      return {loaded->first, std::move(loaded->second)};
    },
    [=](query_atom, uint64_t checkpoint, std::string& savepoint, std::string& uid, std::string& key,
        bool has_key) -> caf::result<std::string> {
      state_query q;
      q.checkpoint = checkpoint;
      q.savepoint = std::move(savepoint);
      q.operator_uid = std::move(uid);
      if (has_key) q.key = std::move(key);
      return answer_query(*store, std::move(q));
    },
    [=](finish_atom, bool finished) mutable -> caf::result<ack_atom> {
      run.finished = finished;
      run.ended_ms = wall_ms();
      auto err = store->put_run(run);
      self->quit();
      if (err) return to_caf(err);
      return ack_atom::value;
    },
  };
}

} // namespace

caf::actor spawn_store_actor(caf::actor_system& sys, std::shared_ptr<const deployment> dep,
                             std::shared_ptr<checkpoint_store> store, run_record run,
                             std::optional<snapshot_ref> savepoint) {
  return sys.spawn<caf::detached>(store_behavior, std::move(dep), std::move(store), std::move(run),
                                  std::move(savepoint));
}

} // namespace weir::runtime
