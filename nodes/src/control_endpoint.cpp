#include "control_endpoint.hpp"

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <random>
#include <sys/stat.h>
#include <unistd.h>

#include "control_actor.hpp"

namespace weir::nodes {

namespace {

std::string new_token() {
  std::random_device rd;
  std::string out;
  char buf[3];
  for (int i = 0; i < 32; ++i) {
    std::snprintf(buf, sizeof buf, "%02x", static_cast<unsigned>(rd() & 0xff));
    out += buf;
  }
  return out;
}

} // namespace

/// Writes `text` to `path` as a fresh regular file with `mode`, through a
/// temporary name, so a reader never sees half of it and nothing but a
/// regular file is ever replaced.
error write_regular_file(const std::string& path, const std::string& text, mode_t mode) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode))
    return {errc::io, "'" + path + "' is in the way and is not a regular file"};
  auto tmp = path + ".tmp";
  ::unlink(tmp.c_str());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
  if (fd < 0) return {errc::io, "cannot create '" + tmp + "': " + std::strerror(errno)};
  bool ok = ::fchmod(fd, mode) == 0 && ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ok = ::close(fd) == 0 && ok;
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return {errc::io, "cannot write '" + path + "': " + std::strerror(errno)};
  }
  return {};
}


std::string control_port_file(const std::string& state_dir) {
  return state_dir + "/weir-control";
}

std::string control_token_file(const std::string& state_dir) {
  return state_dir + "/weir-control.token";
}

expected<std::unique_ptr<control_endpoint>> control_endpoint::open(caf::actor_system& sys,
                                                                   const caf::actor& supervisor,
                                                                   const std::string& state_dir) {
  std::unique_ptr<control_endpoint> ep(new control_endpoint(sys, state_dir));
  auto token = new_token();
  ep->actor_ = std::make_unique<caf::actor>(runtime::spawn_control_actor(sys, supervisor, token));
  auto port = sys.middleman().publish(*ep->actor_, 0, "127.0.0.1", true);
  if (!port) return error{errc::unreachable, "cannot publish the control endpoint: " + sys.render(port.error())};
  ep->port_ = *port;
  // The token first: a client that sees the port finds the token there.
  if (auto err = write_regular_file(control_token_file(state_dir), token + "\n", 0600)) return err;
  if (auto err = write_regular_file(control_port_file(state_dir), std::to_string(*port) + "\n", 0644)) return err;
  return ep;
}

control_endpoint::~control_endpoint() {
  ::unlink(control_port_file(dir_).c_str());
  ::unlink(control_token_file(dir_).c_str());
  if (actor_) {
    sys_.middleman().unpublish(*actor_, port_);
    caf::anon_send_exit(*actor_, caf::exit_reason::user_shutdown);
  }
}

} // namespace weir::nodes
