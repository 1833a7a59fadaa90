#pragma once

// CAF's middleman with a bound on what a peer can make it allocate. Private
// to nodes/.
//
// CAF 0.17's BASP broker sizes its read buffer from the 32-bit payload length
// of each message header before it knows anything about the peer: a 32-byte
// header announcing 4 GiB made a node allocate 4 GiB. Every Weir process that
// talks BASP loads the middleman through here, whose scribes refuse such a
// read and close the connection instead.

#include <caf/actor.hpp>
#include <caf/expected.hpp>
#include <caf/fwd.hpp>
#include <caf/io/middleman_actor.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

namespace weir::nodes {

/// How large a BASP payload a connection may announce.
struct message_limits {
  /// The first payload on a connection is the peer's handshake (its node id,
  /// application ids and published actor): a few hundred bytes.
  size_t handshake_bytes = 64 * 1024;
  /// Every later message: a batch frame, a deployment, a task's snapshot (the
  /// largest: a task's whole state travels as one message).
  size_t message_bytes = size_t{512} << 20;
};

/// Loads CAF's middleman into `cfg` with scribes that enforce `limits`, and
/// turns CAF's heartbeat on so a silent peer is dropped: a heartbeat every
/// `heartbeat_ms`, and a connection without traffic for `timeout_ms` closed
/// (0 leaves the heartbeat off). CAF's heartbeat tick also closes a
/// connection whose handshake has not arrived yet (sec::connection_timeout):
/// a connecting side retries on that error until its own deadline.
void load_bounded_middleman(caf::actor_system_config& cfg, message_limits limits = {},
                            unsigned heartbeat_ms = 1000, unsigned timeout_ms = 10000);

/// Certificates for TLS between Weir processes (libcaf_openssl): this
/// process's certificate chain and key (PEM), and the CA that must have
/// signed every peer's. Empty `certificate`: no TLS.
struct tls_files {
  std::string certificate;
  std::string key;
  std::string ca;
  bool enabled() const { return !certificate.empty(); }
};

/// Loads CAF's OpenSSL module with `tls` into `cfg` (after
/// load_bounded_middleman): connections made and accepted through it
/// (publish, remote_actor below) complete a TLS handshake in which both sides
/// present a certificate signed by `tls.ca` before any BASP byte is read.
void load_tls(caf::actor_system_config& cfg, const tls_files& tls);

/// Publishes `whom` on in:port through TLS when load_tls was used, else
/// through the plain middleman; the bound port.
caf::expected<uint16_t> publish(caf::actor_system& sys, const caf::actor& whom, uint16_t port, const char* in);

/// The middleman actor to connect through: OpenSSL's when load_tls was used.
caf::io::middleman_actor connector(caf::actor_system& sys);

/// Bytes the middleman loaded by load_bounded_middleman read from all its
/// connections so far (0 for another middleman).
uint64_t bytes_received(caf::actor_system& sys);
/// BASP messages it read from all its connections so far, counted by the
/// header reads the broker asks for (a payload of exactly 32 bytes counts
/// twice: close, not exact).
uint64_t messages_received(caf::actor_system& sys);

/// The actor published at host:port (through TLS when load_tls was used),
/// like middleman::remote_actor but with
/// a deadline (CAF's own waits for the peer's handshake forever), retrying
/// when CAF's heartbeat tick closed the connection before the handshake
/// arrived. Errors: caf::sec::request_timeout at the deadline,
/// caf::sec::no_actor_published_at_port, or what CAF reported.
caf::expected<caf::actor> remote_actor(caf::actor_system& sys, const std::string& host, uint16_t port,
                                       std::chrono::milliseconds timeout);

} // namespace weir::nodes
