#pragma once

// The supervisor's state and the pieces its two source files share
// (supervisor.cpp: attempts, failures, restarts; supervisor_host.cpp: what
// the checkpoint coordinator asks of it). Private to actors/.

#include <caf/all.hpp>

#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "checkpoint_coordinator.hpp"
#include "messages.hpp"
#include "supervisor.hpp"

namespace weir::runtime::supervising {

enum class phase : uint8_t { deploying, running, finished, committed, down };

struct supervisor_state;
using supervisor_actor = caf::stateful_actor<supervisor_state>;

/// What the checkpoint coordinator asks, done with the supervisor's messages.
class supervisor_host final : public coordinator_host {
public:
  supervisor_host(supervisor_actor* self, uint32_t attempt) : self_(self), attempt_(attempt) {}
  void trigger_sources(uint64_t id) override;
  void store_snapshot(uint64_t id, uint32_t task, const std::vector<char>& snapshot) override;
  void store_manifest(const checkpoint_summary& summary) override;
  void abort_checkpoint(uint64_t id, const std::string& why) override;
  void checkpoint_completed(const checkpoint_summary& summary, const std::vector<bool>& includes_final) override;
  void schedule_trigger(uint64_t delay_ms) override;
  void schedule_timeout(uint64_t id, uint64_t delay_ms) override;
  int64_t now_ms() override;
  void fail(errc code, const std::string& why) override;

private:
  template <class F>
  void if_current(F&& f);
  supervisor_actor* self_;
  uint32_t attempt_;
};

struct supervisor_state {
  std::shared_ptr<const deployment> dep;
  supervision how;
  caf::response_promise promise;
  std::mt19937_64 rng{std::random_device{}()};
  // -- the run
  uint32_t attempt = 0;
  uint32_t restarts = 0;
  uint64_t completed = 0;
  uint64_t next_checkpoint = 1;
  uint64_t last_checkpoint = 0; // the newest this run completed or restored
  std::vector<task_report> reports;
  bool over = false;
  // -- the attempt
  std::vector<caf::actor> tasks;
  std::vector<phase> phases;
  std::vector<bool> sources;
  std::vector<std::vector<char>> states; // per task, when restoring
  size_t spawned = 0;
  size_t acked = 0;
  bool cancelling = false;
  std::unique_ptr<supervisor_host> host;
  std::unique_ptr<checkpoint_coordinator> coordinator;
  const char* name = "weir.supervisor";
};

/// How errors and logs name task `task`.
std::string task_name(supervisor_actor* self, uint32_t task);
/// Tells options().log what the runtime decided on its own.
void say(supervisor_actor* self, const std::string& what);
/// Ends the run with an error: stops what still runs, answers, quits.
void fail_run(supervisor_actor* self, errc code, const std::string& message);
/// Tells the store checkpoint `id` is abandoned, and says what became of it
/// (a manifest already written keeps it complete).
void abandon_in_store(supervisor_actor* self, uint64_t id, const std::string& why);

} // namespace weir::runtime::supervising
