#include "support/process.hpp"

#include <chrono>
#include <csignal>
#include <fcntl.h>
#include <fstream>
#include <thread>
#include <unistd.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "support/temp_dir.hpp"

namespace weir::test {

child_process::child_process(const std::vector<std::string>& argv, const std::string& log_file) {
  auto parent = ::getpid();
  pid_ = ::fork();
  if (pid_ == 0) {
    // Dies with the thread that started it: a test process that crashes or
    // is killed by ctest's timeout (its destructors never run) must not leave
    // a node daemon running. Children are waited for by the thread that
    // started them, so that thread outlives them.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127); // the parent died before prctl

    if (!log_file.empty()) {
      int fd = ::open(log_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd >= 0) {
        ::dup2(fd, 1);
        ::dup2(fd, 2);
      }
    }
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
}

bool child_process::kill() {
  if (pid_ <= 0) return false;
  int status = 0;
  bool running = ::waitpid(pid_, &status, WNOHANG) == 0;
  if (running) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &status, 0);
  }
  pid_ = -1;
  return running;
}

std::optional<int> child_process::wait(int timeout_ms) {
  if (pid_ <= 0) return -1;
  int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
  if (fd >= 0) {
    pollfd p{fd, POLLIN, 0};
    ::poll(&p, 1, timeout_ms);
    ::close(fd);
  }
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) != pid_) return std::nullopt;
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

child_process::~child_process() {
  kill();
}

command_result run_command(const std::vector<std::string>& argv, int timeout_ms) {
  temp_dir dir;
  command_result result;
  pid_t pid;
  {
    child_process child(argv, dir.file("out"));
    pid = child.pid();
    // A pidfd becomes readable when the child exits: a wait with a deadline
    // and no polling.
    int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    if (fd >= 0) {
      pollfd p{fd, POLLIN, 0};
      ::poll(&p, 1, timeout_ms);
      ::close(fd);
    }
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid && WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  } // the child is killed here if it is still running
  result.output = read_file(dir.file("out"));
  return result;
}

std::string wait_for_file_line(const std::string& path, int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    std::ifstream in(path);
    std::string line;
    if (in && std::getline(in, line) && !line.empty()) return line;
    // The file is written by another process: polling is the only signal we have.
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return "";
}

} // namespace weir::test
