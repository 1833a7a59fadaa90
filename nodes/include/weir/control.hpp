#pragma once

/// \file
/// Reaching a running job: the control endpoint `weir job ...` uses.
///
/// A job that checkpoints into a state directory publishes a control actor
/// through CAF's middleman on 127.0.0.1 only, on a free port, and writes the
/// port into DIR/weir-control and a random token into DIR/weir-control.token
/// (owner read/write only); both go when the job ends. A request must carry
/// the token: only a client that can read the state directory controls the
/// job. Linked with weir::weir.

#include <cstdint>
#include <string>

#include "weir/error.hpp"

namespace weir {

/// Sends `command` to the job running on `state_dir` and returns its
/// answer, waiting at most `answer_ms` for it once connected. Commands:
///   "status"          the job's attempt, checkpoints and tasks
///   "cancel"          ends the job (errc::cancelled); it resumes when run again
///   "savepoint NAME"  takes the next version of savepoint NAME; answered once it is stored
///   "stop NAME"       the same, then stops the job (it resumes from it when run again)
/// Errors: errc::unreachable when no job answers there (none runs, or its
/// files are left from a killed one), errc::io when the files cannot be
/// read, errc::bad_argument when the job refused the request (a wrong token,
/// an unknown command, a savepoint it cannot take), errc::operator_failed
/// when a savepoint was attempted and failed (the message says why).
expected<std::string> control_job(const std::string& state_dir, const std::string& command,
                                  uint64_t answer_ms = 10000);

} // namespace weir
