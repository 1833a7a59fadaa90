#include "weir/input_file.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace weir {

namespace {

error io_error(const std::string& path, const std::string& what) {
  return {errc::io, "input '" + path + "': " + what};
}

const char* file_kind(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

} // namespace

input_file& input_file::operator=(input_file&& other) noexcept {
  if (this != &other) {
    if (file_ != nullptr) std::fclose(file_);
    file_ = other.file_;
    size_ = other.size_;
    other.file_ = nullptr;
  }
  return *this;
}

input_file::~input_file() {
  if (file_ != nullptr) std::fclose(file_);
}

std::FILE* input_file::release() noexcept {
  auto* f = file_;
  file_ = nullptr;
  return f;
}

expected<input_file> open_input_file(const std::string& path) {
  // O_NONBLOCK: opening a FIFO with no writer would otherwise wait forever.
  int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return io_error(path, std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int e = errno;
    ::close(fd);
    return io_error(path, std::strerror(e));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return io_error(path, std::string("is ") + file_kind(st.st_mode)
                            + "; a job reads regular files only");
  }
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  std::FILE* file = ::fdopen(fd, "rb");
  if (file == nullptr) {
    int e = errno;
    ::close(fd);
    return io_error(path, std::strerror(e));
  }
  input_file in(file, static_cast<uint64_t>(st.st_size));
  if (st.st_size == 0) {
    if (std::fgetc(file) != EOF)
      return io_error(path, "reports a size of 0 but has content (a /proc or /sys file?); "
                            "copy it to a regular file first");
    std::rewind(file);
  }
  return in;
}

} // namespace weir
