#pragma once

// The control endpoint's actor: a running job's door for `weir job ...`.
// Private to actors/ and nodes/.

#include <caf/fwd.hpp>

#include <string>

namespace weir::runtime {

/// Spawns the actor that answers control requests (control_atom, token,
/// command) for `supervisor`: "status", "cancel", "savepoint NAME" and
/// "stop NAME" (stop with a savepoint) go to the supervisor,
/// anything else, or a request whose token differs from `token`, is refused
/// (an answer starting "refused:"). It quits when the supervisor does.
caf::actor spawn_control_actor(caf::actor_system& sys, caf::actor supervisor, std::string token);

} // namespace weir::runtime
