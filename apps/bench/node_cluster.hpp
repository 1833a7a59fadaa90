#pragma once

/// \file Node daemons for `weir bench nodes`: this binary started N times as
/// `weir node` on loopback, each in its own process, stopped with the object.

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "weir/error.hpp"

namespace weir::apps::bench {

class node_cluster {
public:
  /// Starts `count` nodes with `slots` slots each (this executable, `weir
  /// node --port-file ...`) and waits up to 20 s for each to listen.
  /// errc::io when one cannot be started or does not listen in time.
  static expected<node_cluster> start(uint32_t count, uint32_t slots);
  node_cluster(node_cluster&& other) noexcept;
  node_cluster& operator=(node_cluster&&) = delete;
  node_cluster(const node_cluster&) = delete;
  ~node_cluster(); // SIGKILLs and reaps every node

  const std::vector<std::string>& addresses() const { return addresses_; }

private:
  node_cluster() = default;
  std::string dir_;
  std::vector<pid_t> pids_;
  std::vector<std::string> addresses_;
};

} // namespace weir::apps::bench
