#pragma once

/// \file
/// The node daemon: a process that runs tasks of registered jobs for a
/// coordinator elsewhere. Same binary as the coordinator (jobs are rebuilt
/// from the job registry by name, never shipped).

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "weir/error.hpp"
#include "weir/log.hpp"

namespace weir {

/// How a node daemon listens, what it runs, and whom it trusts. A value type.
struct node_options {
  /// Port to listen on; 0 lets the system pick one (see port_file).
  uint16_t port = 0;
  /// Address to bind; the default accepts local connections only.
  std::string bind = "127.0.0.1";
  /// If set, the bound port is written here (atomically) once listening;
  /// only a regular file is ever replaced.
  std::string port_file;
  /// How many subtasks of each operator this node runs (slot sharing, as in
  /// Flink: slot i holds subtask i of every operator placed here).
  uint32_t slots = default_slots();

  /// TLS (all three or none): this node's certificate chain and key (PEM)
  /// and the CA every coordinator's and node's certificate must be signed
  /// by; a peer without such a certificate fails the TLS handshake.
  std::string tls_certificate;
  std::string tls_key; ///< Path of this node's private key (PEM); see tls_certificate.
  std::string tls_ca;  ///< Path of the CA certificate (PEM); see tls_certificate.

  /// If not empty, the only directories (absolute) a job's input, output
  /// and side-input paths may lie in, symlinks resolved: a coordinator
  /// cannot make this node read or write elsewhere.
  std::vector<std::string> allowed_dirs;

  /// A connection (to a coordinator or another node) that carried nothing
  /// for this long, not even the heartbeat sent every second, is closed and
  /// the tasks that depended on it stop: how long this node keeps running
  /// tasks for a coordinator it can no longer reach.
  uint32_t silence_timeout_ms = 10000;

  /// The largest message this node reads from a peer once connected (a
  /// larger announcement closes the connection); the coordinator's
  /// runtime_options::max_message_bytes should be the same.
  size_t max_message_bytes = size_t{512} << 20;

  /// Receives what the node does on its own: listening (info), a coordinator
  /// joining for a job (info), each task deployed and each peer connected
  /// (debug), a join, deploy or peer connection refused or failed (warn),
  /// listening off loopback without TLS (warn). Called from one thread at a
  /// time, never re-entrantly; it must not block long (the node's actor
  /// waits for it). Empty: lines from info up on stderr (format_log_line).
  std::function<void(const log_event&)> log_events;

  /// One per core the system reports, at least 1.
  static uint32_t default_slots();
};

/// Splits a node address "host:port" (a non-empty host, a port from 1 to
/// 65535 in digits); errc::bad_argument naming the address otherwise.
expected<std::pair<std::string, uint16_t>> parse_node_address(const std::string& address);

/// Serves tasks until the process is terminated. A `bind` address other than
/// loopback without TLS is warned about (log_events): nothing authenticates peers. Returns only on failure to
/// start: errc::unreachable when the port could not be bound, errc::io when
/// the port file cannot be written (not a regular file, an unwritable
/// directory), each with the reason.
error run_node(const node_options& options);

} // namespace weir
