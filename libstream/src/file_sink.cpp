#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <stdexcept>

#include "weir/sinks.hpp"

namespace weir {

namespace {

namespace fs = std::filesystem;

/// One part file: written hidden, renamed into view once complete.
class file_sink_function final : public sink_function<std::string> {
public:
  explicit file_sink_function(std::string dir) : dir_(std::move(dir)) {}
  ~file_sink_function() override {
    if (file_ != nullptr) std::fclose(file_); // an unfinished part stays hidden
  }

  void open(const subtask_info& info) override {
    std::error_code ec;
    fs::create_directories(dir_, ec);
    if (ec) throw std::runtime_error("cannot create output directory '" + dir_ + "': " + ec.message());
    // The uid keeps two sinks writing into one directory apart.
    auto name = "part-" + info.uid + "-" + std::to_string(info.index);
    final_path_ = (fs::path(dir_) / name).string();
    temp_path_ = (fs::path(dir_) / ("." + name + ".inprogress")).string();
    file_ = std::fopen(temp_path_.c_str(), "wb");
    if (file_ == nullptr) fail("cannot create", temp_path_);
  }

  void write(const std::string& line) override {
    if (std::fwrite(line.data(), 1, line.size(), file_) != line.size() || std::fputc('\n', file_) == EOF)
      fail("cannot write", temp_path_);
  }

  void end_of_input() override {
    if (std::fclose(file_) != 0) {
      file_ = nullptr;
      fail("cannot close", temp_path_);
    }
    file_ = nullptr;
    if (std::rename(temp_path_.c_str(), final_path_.c_str()) != 0)
      fail("cannot rename to " + final_path_, temp_path_);
  }

private:
  [[noreturn]] static void fail(const std::string& what, const std::string& path) {
    throw std::runtime_error(what + " '" + path + "': " + std::strerror(errno));
  }

  std::string dir_;
  std::string final_path_;
  std::string temp_path_;
  std::FILE* file_ = nullptr;
};

class stdout_sink_function final : public sink_function<std::string> {
public:
  void write(const std::string& line) override {
    static std::mutex mutex;
    std::lock_guard<std::mutex> guard(mutex);
    std::cout << line << '\n';
  }
  void end_of_input() override { std::cout.flush(); }
};

} // namespace

sink_factory<std::string> file_sink(std::string dir) {
  return [dir] { return std::make_unique<file_sink_function>(dir); };
}

sink_factory<std::string> stdout_sink() {
  return [] { return std::make_unique<stdout_sink_function>(); };
}

} // namespace weir
