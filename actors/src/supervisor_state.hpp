#pragma once

// The supervisor's state and the pieces its two source files share
// (supervisor.cpp: attempts, failures, restarts; supervisor_host.cpp: what
// the checkpoint coordinator asks of it). Private to actors/.

#include <caf/all.hpp>

#include <chrono>
#include <map>
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
  void savepoint_done(uint64_t request, const checkpoint_summary* taken, const std::string& failure) override;

private:
  template <class F>
  void if_current(F&& f);
  supervisor_actor* self_;
  uint32_t attempt_;
};

/// A savepoint asked for through the control endpoint, answered when it ends.
struct savepoint_request {
  caf::response_promise answer; // delivers a std::string
  std::string name;
  bool stop = false;   // stop the job once it is taken
  bool passed = false; // handed to the coordinator (else it waits for the attempt to start)
};

struct supervisor_state {
  std::shared_ptr<const deployment> dep;
  supervision how;
  /// Per node of how.where: lost (its connection closed). The next attempt
  /// places the job on the others.
  std::vector<bool> lost_nodes;
  bool replace_nodes = false; ///< A node was lost or came back since the tasks were placed.
  /// Too few slots on the nodes up: the next attempt waits for a lost node
  /// until wait_until, then the run fails with wait_reason.
  bool waiting_for_nodes = false;
  bool wait_deadline_set = false; ///< A wait began and no placement succeeded since.
  uint32_t wait_episode = 0;      ///< Which wait a timeout message belongs to.
  std::chrono::steady_clock::time_point wait_until;
  std::string wait_reason;
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
  // -- savepoints
  std::map<uint64_t, savepoint_request> savepoints; // by request id
  uint64_t next_savepoint_request = 1;
  bool stopping = false;         // a stop-with-savepoint waits for its tasks to go down
  std::string stopped_with;      // "name@version" of that savepoint
  caf::response_promise stop_answer;
  std::string stop_text;
  // -- the attempt
  std::chrono::steady_clock::time_point attempt_began;
  std::vector<caf::actor> tasks;
  std::vector<phase> phases;
  std::vector<bool> sources;
  std::vector<std::vector<char>> states; // per task, when restoring
  /// Snapshot parts a task sent ahead of its snapshot's last message, by
  /// task and checkpoint (0: the final snapshot).
  std::map<std::pair<uint32_t, uint64_t>, snapshot_chunks> snapshot_parts;
  size_t spawned = 0;
  size_t acked = 0;
  bool cancelling = false;
  std::unique_ptr<supervisor_host> host;
  std::unique_ptr<checkpoint_coordinator> coordinator;
  // -- metrics (supervisor_metrics.cpp)
  struct metrics_sample {
    uint32_t attempt = 0; // of the task that answered; 0: none yet
    std::chrono::steady_clock::time_point at;
    task_status figures;
  };
  std::vector<metrics_sample> metrics_previous; // per task
  std::vector<checkpoint_metrics> checkpoint_history;
  uint64_t checkpoints_failed = 0;
  uint64_t frames_rejected = 0;
  std::map<uint32_t, uint64_t> task_alignment_us; // per task, its latest checkpoint
  std::map<uint32_t, std::pair<uint64_t, uint64_t>> task_checkpoint_bytes; // per task: (checkpoint, bytes)
  bool gathering_metrics = false; // a round of asking is out
  // -- `weir job status` (supervisor_status.cpp): its second rounds, waiting out their pause
  std::map<uint64_t, std::function<void()>> status_pauses;
  uint64_t status_pauses_made = 0;
  const char* name = "weir.supervisor";
};

/// How errors and logs name task `task`.
std::string task_name(supervisor_actor* self, uint32_t task);
/// Tells options().log what the runtime decided on its own.
void say(supervisor_actor* self, const std::string& what, log_level level = log_level::info,
         const std::string& task = std::string());
/// Spawns, wires, restores and starts a new attempt (after a restart, or
/// once a lost node is back).
void begin_attempt(supervisor_actor* self);

/// What `weir job status` prints (supervisor_status.cpp): the job, its
/// attempt, checkpoints, nodes, each task's phase, node, watermark, traffic
/// and time shares (asked of the running tasks, 2 s each), and the
/// bottleneck when one stands out.
caf::result<std::string> status_text(supervisor_actor* self);
/// Asks the tasks again for the `weir job status` whose pause `id` is over.
void status_pause_over(supervisor_actor* self, uint64_t id);
/// Asks every running task of the attempt for its figures (2 s each): calls
/// `each` per answer, then `done` once all answered or timed out.
void ask_running_tasks(supervisor_actor* self, std::function<void(uint32_t, task_status&)> each,
                       std::function<void()> done);
/// The channels of the plan as (producer task, consumer task).
std::vector<std::pair<uint32_t, uint32_t>> channel_edges(const detail::physical_plan& plan);

// -- metrics (supervisor_metrics.cpp)

/// Asks the tasks for their figures and hands the job's snapshot to
/// how.on_metrics, then asks again after options.metrics.interval_ms.
void gather_metrics(supervisor_actor* self);
/// Keeps a completed checkpoint in the history metrics report.
void note_checkpoint(supervisor_actor* self, const checkpoint_summary& summary);

// -- state in parts (supervisor_parts.cpp)

/// Sends task `t` all but the last part of its state to restore ahead, in
/// order, so no message exceeds what its process reads; returns the last.
std::vector<char> state_parts_ahead(supervisor_actor* self, uint32_t t, std::vector<char> state);
/// Task `t`'s snapshot of checkpoint `id` (0: its final one): the parts it
/// sent ahead, then `last`. Parts of its older checkpoints (abandoned) go.
snapshot_chunks whole_snapshot(supervisor_actor* self, uint32_t t, uint64_t id, snapshot_chunks last);

// -- nodes (supervisor_nodes.cpp)

/// The node task `t` runs on; -1 in this process.
int node_of(supervisor_actor* self, uint32_t t);
/// The node lost with task `t` when `reason` says the connection to it
/// closed; -1 when the task died otherwise or ran in this process.
int lost_node(supervisor_actor* self, uint32_t t, const caf::error& reason);
/// Why task `t` went down, naming its node when the connection to it was lost.
std::string why_down(supervisor_actor* self, uint32_t t, const caf::error& reason);
/// A task that went down because the connection to its node closed means
/// the node is lost: the next attempt places the job on the others, and the
/// node is asked to rejoin (every second until it does or the run ends).
void node_lost_with(supervisor_actor* self, uint32_t t, const caf::error& reason);
/// Marks node `node` lost (once), says so and asks the rejoiner for it.
void mark_lost(supervisor_actor* self, size_t node);
/// A down message from a node's actor (its connection closed): the node is
/// lost. False when `source` is no node of the job.
bool node_down(supervisor_actor* self, const caf::actor_addr& source);
/// Asks the rejoiner to bring lost node `node` back.
void ask_to_rejoin(supervisor_actor* self, uint32_t node);
/// Before an attempt after a node was lost or came back: places the job on
/// the nodes up and returns true; or, with too few slots there, waits for a
/// lost node (node_return_timeout_ms; begin_attempt runs again when one is
/// back) or ends the run, and returns false.
bool place_on_remaining_nodes(supervisor_actor* self);
/// Wait `episode` for a lost node ran out: the run fails if it still waits.
void waited_for_nodes(supervisor_actor* self, uint32_t episode);
/// What `weir job status` says of a job waiting for nodes.
std::string waiting_text(supervisor_actor* self);
/// Ends the run with an error: stops what still runs, answers, quits.
void fail_run(supervisor_actor* self, errc code, const std::string& message);
/// Answers savepoint request `request` (see coordinator_host::savepoint_done);
/// a stop request then stops the job.
void savepoint_answered(supervisor_actor* self, uint64_t request, const checkpoint_summary* taken,
                        const std::string& failure);
/// A control request for a savepoint (stop: then stop the job): refused at
/// once, or answered when it is taken or fails.
caf::result<std::string> request_savepoint(supervisor_actor* self, std::string name, bool stop);
/// Answers every savepoint request still waiting with a failure.
void fail_savepoints(supervisor_actor* self, const std::string& why);
/// Hands the requests that came while the attempt was starting to its coordinator.
void pass_waiting_savepoints(supervisor_actor* self);
/// Stops every task after a stop-with-savepoint; stopped_when_down ends the
/// run once all are down.
void stop_after_savepoint(supervisor_actor* self);
void stopped_when_down(supervisor_actor* self);
/// Ends the run: stops what still runs, records the outcome in the store
/// (`finished`: the run is complete, not to be resumed), answers, quits.
void end_run(supervisor_actor* self, caf::message outcome, bool finished);
/// Tells the store checkpoint `id` is abandoned, and says what became of it
/// (a manifest already written keeps it complete).
void abandon_in_store(supervisor_actor* self, uint64_t id, const std::string& why);

} // namespace weir::runtime::supervising
