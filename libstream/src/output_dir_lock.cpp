#include "output_dir_lock.hpp"

#include <cerrno>
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

std::string holder_of(int fd) {
  char buf[32] = {};
  ssize_t got = ::pread(fd, buf, sizeof buf - 1, 0);
  std::string pid = got > 0 ? std::string(buf, static_cast<size_t>(got)) : "";
  while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
  return pid.empty() ? "another process" : "pid " + pid;
}

// Opens and locks DIR/.weir-lock: only a regular file of that name is used.
int lock_file(const std::string& dir) {
  auto path = dir + "/.weir-lock";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0)
    throw std::runtime_error("cannot open lock file '" + path + "': " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw std::runtime_error("'" + path + "' is not a regular file; it cannot lock the output directory");
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    auto who = holder_of(fd);
    ::close(fd);
    throw std::runtime_error("output directory '" + dir + "' is in use by another run (" + who
                             + "); wait for it to end or write elsewhere");
  }
  auto pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) < 0) {
    // The lock holds without the pid; only the message of a refused run loses it.
  }
  return fd;
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
      h.fd = lock_file(key_);
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
