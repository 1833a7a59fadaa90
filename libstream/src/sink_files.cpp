#include "sink_files.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <stdexcept>
#include <unistd.h>

namespace weir::detail {

void fail_on(const std::string& what, const std::string& path) {
  throw std::runtime_error(what + " '" + path + "': " + std::strerror(errno));
}

void sync_directory(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) fail_on("cannot open directory", dir);
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) fail_on("cannot sync directory", dir);
}

std::unique_ptr<output_dir_lock> hold_output_dir(const std::string& dir, uint64_t run_id) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec || !fs::is_directory(dir, ec))
    throw std::runtime_error("cannot create output directory '" + dir + "'"
                             + (ec ? ": " + ec.message() : ": a file of that name is in the way"));
  return std::make_unique<output_dir_lock>(dir, run_id);
}

void close_synced(std::FILE* file, const std::string& path) {
  bool flushed = std::fflush(file) == 0 && ::fsync(::fileno(file)) == 0;
  bool closed = std::fclose(file) == 0;
  if (!flushed || !closed) fail_on("cannot flush", path);
}

} // namespace weir::detail
