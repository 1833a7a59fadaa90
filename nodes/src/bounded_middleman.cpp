#include "bounded_middleman.hpp"

#include <caf/actor_system_config.hpp>
#include <caf/io/middleman_actor.hpp>
#include <caf/openssl/manager.hpp>
#include <caf/openssl/publish.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/settings.hpp>
#include <caf/io/basp/header.hpp>
#include <caf/io/middleman.hpp>
#include <caf/io/network/default_multiplexer.hpp>
#include <caf/io/network/scribe_impl.hpp>

#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>

namespace weir::nodes {

namespace {

using caf::io::receive_policy;

// Where load_bounded_middleman leaves the limits in the system's config.
constexpr const char* handshake_key = "weir.max-handshake-bytes";
constexpr const char* message_key = "weir.max-message-bytes";

/// A scribe whose reads are bounded by `message_limits`. CAF's BASP broker
/// alternates between reading a 32-byte header and reading the payload that
/// header announced; a payload read beyond the limit is refused: the socket
/// is shut down (the broker then sees the connection close and forgets it)
/// and the read buffer stays at header size.
class bounded_scribe final : public caf::io::network::scribe_impl {
public:
  bounded_scribe(caf::io::network::default_multiplexer& mx, caf::io::network::native_socket fd,
                 message_limits limits, std::atomic<uint64_t>& received, std::atomic<uint64_t>& messages)
      : scribe_impl(mx, fd), limits_(limits), received_(received), messages_(messages) {}

  bool consume(caf::execution_unit* ctx, const void* buf, size_t bytes) override {
    received_.fetch_add(bytes, std::memory_order_relaxed);
    return scribe_impl::consume(ctx, buf, bytes);
  }

  void configure_read(receive_policy::config config) override {
    if (refused_) return scribe_impl::configure_read(receive_policy::at_most(caf::io::basp::header_size));
    auto wanted = config.second;
    // The broker asks for a header after each message (and for a payload
    // that happens to be 32 bytes: rare, so the count is close, not exact).
    if (wanted == caf::io::basp::header_size) messages_.fetch_add(1, std::memory_order_relaxed);
    // A 32-byte read is a header (or a payload as small): harmless either way.
    if (wanted > caf::io::basp::header_size) {
      auto limit = handshake_done_ ? limits_.message_bytes : limits_.handshake_bytes;
      if (wanted > limit) return refuse(wanted, limit);
      handshake_done_ = true;
    }
    scribe_impl::configure_read(config);
  }

private:
  void refuse(size_t wanted, size_t limit) {
    refused_ = true;
    std::fprintf(stderr, "weir: closed the connection from %s:%u: it announced a %zu-byte message %s(the limit is %zu)\n",
                 addr().c_str(), unsigned(port()), wanted, handshake_done_ ? "" : "before its handshake ", limit);
    ::shutdown(stream_.fd(), SHUT_RDWR);
    scribe_impl::configure_read(receive_policy::at_most(caf::io::basp::header_size));
  }

  message_limits limits_;
  std::atomic<uint64_t>& received_;
  std::atomic<uint64_t>& messages_;
  bool handshake_done_ = false;
  bool refused_ = false;
};

class bounded_multiplexer final : public caf::io::network::default_multiplexer {
public:
  explicit bounded_multiplexer(caf::actor_system* sys) : default_multiplexer(sys) {
    message_limits defaults;
    limits_.handshake_bytes = limit(sys, handshake_key, defaults.handshake_bytes);
    limits_.message_bytes = limit(sys, message_key, defaults.message_bytes);
  }

  caf::io::scribe_ptr new_scribe(caf::io::network::native_socket fd) override {
    return caf::make_counted<bounded_scribe>(*this, fd, limits_, received_, messages_);
  }

  uint64_t received() const { return received_.load(std::memory_order_relaxed); }
  uint64_t messages() const { return messages_.load(std::memory_order_relaxed); }

private:
  static size_t limit(caf::actor_system* sys, const char* key, size_t fallback) {
    return static_cast<size_t>(caf::get_or(sys->config(), key, static_cast<int64_t>(fallback)));
  }

  message_limits limits_;
  std::atomic<uint64_t> received_{0};
  std::atomic<uint64_t> messages_{0};
};

} // namespace

void load_bounded_middleman(caf::actor_system_config& cfg, message_limits limits, unsigned heartbeat_ms,
                            unsigned timeout_ms) {
  // Weir's own keys, unknown to CAF's option set: put, not set.
  caf::put(cfg.content, handshake_key, static_cast<int64_t>(limits.handshake_bytes));
  caf::put(cfg.content, message_key, static_cast<int64_t>(limits.message_bytes));
  cfg.load<caf::io::middleman, bounded_multiplexer>();
  // CAF 0.17 runs its middleman actor on a thread of its own by default, and
  // the actor system's destructor joins that thread once the actor is
  // destroyed. A connect still pending when the system stops (a node that
  // was SIGSTOPped or cut off, asked to rejoin) leaves response promises in
  // the actor that point back at it: it is never destroyed and the join
  // never returns. Scheduled like other actors, it cannot block shutdown.
  caf::put(cfg.content, "middleman.attach-utility-actors", true);
  if (heartbeat_ms == 0) return;
  cfg.set("middleman.heartbeat-interval", caf::timespan{std::chrono::milliseconds(heartbeat_ms)});
  cfg.set("middleman.connection-timeout", caf::timespan{std::chrono::milliseconds(timeout_ms)});
}

void load_tls(caf::actor_system_config& cfg, const tls_files& tls) {
  if (!tls.enabled()) return;
  cfg.load<caf::openssl::manager>();
  cfg.openssl_certificate = tls.certificate;
  cfg.openssl_key = tls.key;
  cfg.openssl_cafile = tls.ca;
}

caf::expected<uint16_t> publish(caf::actor_system& sys, const caf::actor& whom, uint16_t port, const char* in) {
  if (sys.has_openssl_manager()) return caf::openssl::publish(whom, port, in, true);
  return sys.middleman().publish(whom, port, in, true);
}

caf::io::middleman_actor connector(caf::actor_system& sys) {
  return sys.has_openssl_manager() ? sys.openssl_manager().actor_handle() : sys.middleman().actor_handle();
}

uint64_t bytes_received(caf::actor_system& sys) {
  auto* bounded = dynamic_cast<bounded_multiplexer*>(&sys.middleman().backend());
  return bounded ? bounded->received() : 0;
}

uint64_t messages_received(caf::actor_system& sys) {
  auto* bounded = dynamic_cast<bounded_multiplexer*>(&sys.middleman().backend());
  return bounded ? bounded->messages() : 0;
}

caf::expected<caf::actor> remote_actor(caf::actor_system& sys, const std::string& host, uint16_t port,
                                       std::chrono::milliseconds timeout) {
  using clock = std::chrono::steady_clock;
  auto deadline = clock::now() + timeout;
  caf::scoped_actor self{sys};
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
    if (left.count() <= 0) return caf::make_error(caf::sec::request_timeout);
    caf::expected<caf::actor> found = caf::make_error(caf::sec::request_timeout);
    self->request(connector(sys), left, caf::connect_atom::value, host, port)
      .receive(
        [&](const caf::node_id&, caf::strong_actor_ptr& ptr, const std::set<std::string>&) {
          if (ptr)
            found = caf::actor_cast<caf::actor>(std::move(ptr));
          else
            found = caf::make_error(caf::sec::no_actor_published_at_port);
        },
        [&](caf::error& err) { found = std::move(err); });
    if (found || found.error() != caf::sec::connection_timeout) return found;
  }
}

} // namespace weir::nodes
