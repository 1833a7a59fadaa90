#include "bench/node_cluster.hpp"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

namespace weir::apps::bench {

namespace {

/// Starts this executable as `weir node`; the kernel kills it if this process dies.
pid_t spawn_node(const std::string& port_file, uint32_t slots) {
  auto slot_text = std::to_string(slots);
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid != 0) return pid;
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(1); // the bench died before the line above took effect
  int devnull = ::open("/dev/null", O_WRONLY);
  if (devnull >= 0)
    ::dup2(devnull, STDERR_FILENO); // its "listening" line would interleave with the table
  ::execl("/proc/self/exe", "weir", "node", "--port-file", port_file.c_str(), "--slots",
          slot_text.c_str(), static_cast<char*>(nullptr));
  ::_exit(127);
}

/// The port node `pid` wrote to `path`, waiting (polled: another process
/// writes it) up to 20 s; "" at once if the node exited.
std::string wait_for_port(const std::string& path, pid_t pid) {
  for (int i = 0; i < 2000; ++i) {
    if (::waitpid(pid, nullptr, WNOHANG) == pid) return "";
    std::ifstream in(path);
    std::string port;
    if (in >> port && !port.empty()) return port;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return "";
}

} // namespace

expected<node_cluster> node_cluster::start(uint32_t count, uint32_t slots) {
  node_cluster out;
  char templ[] = "/tmp/weir-bench-nodes-XXXXXX";
  if (::mkdtemp(templ) == nullptr)
    return error{errc::io, "cannot make a temporary directory in /tmp"};
  out.dir_ = templ;
  for (uint32_t i = 0; i < count; ++i) {
    auto port_file = out.dir_ + "/port" + std::to_string(i);
    pid_t pid = spawn_node(port_file, slots);
    if (pid < 0) return error{errc::io, "cannot start a node process"};
    out.pids_.push_back(pid);
    auto port = wait_for_port(port_file, pid);
    if (port.empty())
      return error{errc::io, "node " + std::to_string(i) + " exited or did not listen within 20 s"};
    out.addresses_.push_back("127.0.0.1:" + port);
  }
  return out;
}

node_cluster::node_cluster(node_cluster&& other) noexcept
    : dir_(std::move(other.dir_)), pids_(std::move(other.pids_)),
      addresses_(std::move(other.addresses_)) {
  other.dir_.clear();
  other.pids_.clear();
}

node_cluster::~node_cluster() {
  for (pid_t pid : pids_) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  }
  std::error_code ec;
  if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
}

} // namespace weir::apps::bench
