#pragma once

// SIGTERM as "stop with a savepoint" (checkpoint_options::savepoint_on_stop).
// Private to nodes/.

#include <caf/fwd.hpp>

#include <atomic>
#include <functional>
#include <string>
#include <thread>

#include <signal.h>

namespace weir::nodes {

/// Blocks SIGTERM in the calling thread when made, so every thread started
/// after (CAF's) inherits the block; watch() then takes SIGTERM on a thread
/// of its own and asks the supervisor to stop with a savepoint, cancelling
/// the job if it refuses. stop() (before the actor system goes) ends the
/// watch and restores the signal mask. One per run; not thread-safe.
class sigterm_stop {
public:
  sigterm_stop();
  ~sigterm_stop();
  sigterm_stop(const sigterm_stop&) = delete;
  sigterm_stop& operator=(const sigterm_stop&) = delete;

  void watch(caf::actor_system& sys, const caf::actor& supervisor, std::string savepoint,
             std::function<void(const std::string&)> log);
  void stop();

private:
  sigset_t old_mask_;
  bool mask_restored_ = false;
  std::atomic<bool> done_{false};
  std::thread watcher_;
};

} // namespace weir::nodes
