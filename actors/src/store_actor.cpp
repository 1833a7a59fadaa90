#include "store_actor.hpp"

#include <chrono>

#include "messages.hpp"
#include "task_actor.hpp"

namespace weir::runtime {

namespace {

caf::error to_caf(const error& err) {
  return caf::make_error(caf::sec::runtime_error, static_cast<uint8_t>(err.code()), err.message());
}

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           std::chrono::system_clock::now().time_since_epoch()).count();
}

caf::behavior store_behavior(caf::event_based_actor* self, std::shared_ptr<const deployment> dep,
                             std::shared_ptr<checkpoint_store> store, run_record run) {
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
    [=](manifest_atom, checkpoint_summary& s) -> caf::result<ack_atom> {
      if (auto err = store->commit(s, dep->graph->max_parallelism, operators)) return to_caf(err);
      return ack_atom::value;
    },
    [=](abort_atom, uint64_t id, std::string& reason) -> caf::result<ack_atom> {
      if (auto err = store->abandon(id, reason)) return to_caf(err);
      return ack_atom::value;
    },
    [=](load_atom, uint64_t id) -> caf::result<std::vector<std::vector<char>>> {
      if (auto err = store->remove_incomplete()) return to_caf(err);
      auto states = store->load(id, *dep->graph, dep->plan);
      if (!states) return to_caf(states.error_value());
      return std::move(*states);
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
                             std::shared_ptr<checkpoint_store> store, run_record run) {
  return sys.spawn<caf::detached>(store_behavior, std::move(dep), std::move(store), std::move(run));
}

} // namespace weir::runtime
