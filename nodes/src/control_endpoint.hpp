#pragma once

// Publishes a job's control actor and writes where to find it (see
// weir/control.hpp). Private to nodes/.

#include <caf/fwd.hpp>

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>

#include "weir/error.hpp"

namespace weir::nodes {

/// The published endpoint; unpublishes and removes its files when it goes.
class control_endpoint {
public:
  /// Publishes a control actor for `supervisor` on 127.0.0.1 and writes the
  /// port and a new token into `state_dir`.
  static expected<std::unique_ptr<control_endpoint>> open(caf::actor_system& sys, const caf::actor& supervisor,
                                                          const std::string& state_dir);
  ~control_endpoint();
  uint16_t port() const noexcept { return port_; }

private:
  control_endpoint(caf::actor_system& sys, std::string state_dir) : sys_(sys), dir_(std::move(state_dir)) {}
  caf::actor_system& sys_;
  std::string dir_;
  uint16_t port_ = 0;
  std::unique_ptr<caf::actor> actor_;
};

/// The files a running job's endpoint writes into its state directory.
std::string control_port_file(const std::string& state_dir);

/// Writes `text` to `path` as a fresh regular file with `mode`, through a
/// temporary name, so a reader never sees half of it and nothing but a
/// regular file is ever replaced (errc::io naming the path otherwise).
error write_regular_file(const std::string& path, const std::string& text, mode_t mode);
std::string control_token_file(const std::string& state_dir);

} // namespace weir::nodes
