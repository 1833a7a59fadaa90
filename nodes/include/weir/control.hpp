#pragma once

/// \file Reaching a running job: the control endpoint `weir job ...` uses.
///
/// A job that checkpoints into a state directory publishes a control actor
/// through CAF's middleman on 127.0.0.1 only, on a free port, and writes the
/// port into DIR/weir-control and a random token into DIR/weir-control.token
/// (owner read/write only); both go when the job ends. A request must carry
/// the token: only a client that can read the state directory controls the
/// job. Linked with weir::weir.

#include <string>

#include "weir/error.hpp"

namespace weir {

/// Sends `command` ("status" or "cancel") to the job running on
/// `state_dir` and returns its answer. Errors: errc::unreachable when no job
/// answers there (none runs, or its files are left from a killed one),
/// errc::io when the files cannot be read, errc::bad_argument when the job
/// refused the request (a wrong token, an unknown command).
expected<std::string> control_job(const std::string& state_dir, const std::string& command);

} // namespace weir
