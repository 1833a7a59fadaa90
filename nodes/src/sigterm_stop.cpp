#include "sigterm_stop.hpp"

#include <caf/all.hpp>

#include <ctime>

#include "messages.hpp"

namespace weir::nodes {

namespace {

sigset_t sigterm_only() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  return set;
}

// Asks for the stop; a refusal or failure (no savepoint possible) cancels:
// SIGTERM ends the job either way, and a cancelled job resumes from its
// latest checkpoint. (A function with arguments: CAF 0.17 dereferences a
// null argument tuple when it spawns one without.)
void stop_or_cancel(caf::event_based_actor* self, caf::actor supervisor, std::string savepoint) {
  self->request(supervisor, caf::infinite, runtime::savepoint_atom::value, savepoint, true)
    .then([self, supervisor](std::string& reply) {
            if (reply.rfind("refused:", 0) == 0 || reply.rfind("failed:", 0) == 0)
              self->send(supervisor, runtime::cancel_atom::value);
          },
          [self, supervisor](caf::error&) { self->send(supervisor, runtime::cancel_atom::value); });
}

} // namespace

sigterm_stop::sigterm_stop() {
  auto set = sigterm_only();
  pthread_sigmask(SIG_BLOCK, &set, &old_mask_);
}

sigterm_stop::~sigterm_stop() {
  stop();
}

void sigterm_stop::watch(caf::actor_system& sys, const caf::actor& supervisor, std::string savepoint,
                         std::function<void(const std::string&)> log) {
  watcher_ = std::thread([this, &sys, supervisor, savepoint = std::move(savepoint), log = std::move(log)] {
    auto set = sigterm_only();
    timespec tick{0, 100 * 1000 * 1000}; // looks at done_ ten times a second
    while (!done_) {
      if (sigtimedwait(&set, nullptr, &tick) != SIGTERM) continue;
      if (log) log("SIGTERM: stopping with savepoint '" + savepoint + "'");
      sys.spawn(stop_or_cancel, supervisor, savepoint);
    }
  });
}

void sigterm_stop::stop() {
  done_ = true;
  if (watcher_.joinable()) watcher_.join();
  if (!mask_restored_) {
    pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
    mask_restored_ = true;
  }
}

} // namespace weir::nodes
