#include "output_dir_lock.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <map>
#include <mutex>
#include <stdexcept>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace weir::detail {

namespace {

struct held {
  int fd = -1;
  uint64_t run = 0;
  size_t users = 0;
};

std::mutex registry_mutex;
std::map<std::string, held>& registry() {
  static std::map<std::string, held> dirs;
  return dirs;
}

/// Who holds the lock file: "<run id> <pid>" as lock_file writes it.
struct holder {
  uint64_t run = 0;
  std::string pid;
};

holder holder_of(int fd) {
  char buf[64] = {};
  ssize_t got = ::pread(fd, buf, sizeof buf - 1, 0);
  holder h;
  char pid[32] = {};
  unsigned long long run = 0;
  if (got > 0 && std::sscanf(buf, "%llx %31s", &run, pid) == 2) {
    h.run = run;
    h.pid = pid;
  }
  return h;
}

/// Holds the directory itself (flock on it, blocking) while a process
/// decides whether it may join the holders of DIR/.weir-lock.
struct directory_guard {
  int fd;
  explicit directory_guard(const std::string& dir) : fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) {
    if (fd < 0) throw std::runtime_error("cannot open output directory '" + dir + "': " + std::strerror(errno));
    while (::flock(fd, LOCK_EX) != 0 && errno == EINTR) {
    }
  }
  ~directory_guard() { ::close(fd); }
};

// Opens DIR/.weir-lock (only a regular file of that name) and holds it
// shared for `run_id`: sink subtasks of one run in several processes (nodes
// on one machine) write into one directory; another run is refused.
int lock_file(const std::string& dir, uint64_t run_id) {
  directory_guard guard(dir);
  auto path = dir + "/.weir-lock";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0)
    throw std::runtime_error("cannot open lock file '" + path + "': " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw std::runtime_error("'" + path + "' is not a regular file; it cannot lock the output directory");
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) == 0) {
    // Nobody holds it: this run does now. (An exclusive hold turned shared
    // is not atomic, but every other taker waits on the guard meanwhile.)
    char line[64];
    int n = std::snprintf(line, sizeof line, "%llx %d\n", static_cast<unsigned long long>(run_id), int(::getpid()));
    if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, line, size_t(n), 0) < 0) {
      // The lock holds without its record; only the message of a refused run loses the pid.
    }
    ::flock(fd, LOCK_SH);
    return fd;
  }
  auto h = holder_of(fd);
  if (h.run != run_id || ::flock(fd, LOCK_SH | LOCK_NB) != 0) {
    ::close(fd);
    throw std::runtime_error("output directory '" + dir + "' is in use by another run ("
                             + (h.pid.empty() ? std::string("another process") : "pid " + h.pid)
                             + "); wait for it to end or write elsewhere");
  }
  return fd; // a sink of the same run in another process holds it too
}

} // namespace

output_dir_lock::output_dir_lock(const std::string& dir, uint64_t run_id) {
  std::error_code ec;
  key_ = std::filesystem::canonical(dir, ec).string();
  if (ec) throw std::runtime_error("cannot resolve output directory '" + dir + "': " + ec.message());
  std::lock_guard<std::mutex> guard(registry_mutex);
  auto& h = registry()[key_];
  if (h.users > 0 && h.run != run_id)
    throw std::runtime_error("output directory '" + dir + "' is in use by another run in this "
                             "process; wait for it to end or write elsewhere");
  if (h.users == 0) {
    try {
      h.fd = lock_file(key_, run_id);
    } catch (...) {
      registry().erase(key_);
      throw;
    }
    h.run = run_id;
  }
  ++h.users;
}

output_dir_lock::~output_dir_lock() {
  std::lock_guard<std::mutex> guard(registry_mutex);
  auto it = registry().find(key_);
  if (it == registry().end() || --it->second.users > 0) return;
  ::close(it->second.fd); // releases the flock
  registry().erase(it);
}

} // namespace weir::detail
