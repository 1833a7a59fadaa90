#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <memory>
#include <mutex>
#include <stdexcept>

#include "output_dir_lock.hpp"
#include "weir/sinks.hpp"

namespace weir {

namespace {

namespace fs = std::filesystem;

bool all_digits(std::string_view s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
}

/// The subtask whose part file `name` is, for the sink `uid`, or -1 when it
/// is not one of that sink's files: "part-<uid>-<n>" or ".part-<uid>-<n>.inprogress".
long part_file_subtask(std::string_view name, const std::string& uid) {
  std::string_view rest = name;
  if (rest.size() > 11 && rest.substr(rest.size() - 11) == ".inprogress" && rest.front() == '.') {
    rest = rest.substr(1, rest.size() - 12);
  }
  std::string prefix = "part-" + uid + "-";
  if (rest.substr(0, prefix.size()) != prefix) return -1;
  rest.remove_prefix(prefix.size());
  return all_digits(rest) && rest.size() < 10 ? std::stol(std::string(rest)) : -1;
}

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
    if (ec || !fs::is_directory(dir_, ec))
      throw std::runtime_error("cannot create output directory '" + dir_ + "'"
                               + (ec ? ": " + ec.message() : ": a file of that name is in the way"));
    lock_ = std::make_unique<detail::output_dir_lock>(dir_, info.run_id);
    remove_stale_files(info);
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
    require_replaceable(final_path_);
    if (std::rename(temp_path_.c_str(), final_path_.c_str()) != 0)
      fail("cannot rename to " + final_path_, temp_path_);
  }

private:
  [[noreturn]] static void fail(const std::string& what, const std::string& path) {
    throw std::runtime_error(what + " '" + path + "': " + std::strerror(errno));
  }

  // A rename replaces whatever is at its target: only a regular file may be.
  static void require_replaceable(const std::string& path) {
    std::error_code ec;
    auto st = fs::symlink_status(path, ec);
    if (!ec && st.type() != fs::file_type::not_found && st.type() != fs::file_type::regular)
      throw std::runtime_error("'" + path + "' is in the way and is not a regular file; "
                               "Weir replaces only its own part files");
  }

  // Part files of an earlier run of this sink (this subtask's; subtask 0 also
  // removes those of subtasks beyond the parallelism), regular files only.
  void remove_stale_files(const subtask_info& info) {
    std::error_code ec;
    for (fs::directory_iterator it(dir_, ec), end; !ec && it != end; it.increment(ec)) {
      long subtask = part_file_subtask(it->path().filename().string(), info.uid);
      bool mine = subtask == static_cast<long>(info.index)
                  || (info.index == 0 && subtask >= static_cast<long>(info.parallelism));
      if (subtask < 0 || !mine || !it->is_regular_file(ec) || it->is_symlink(ec)) continue;
      fs::remove(it->path(), ec);
    }
    if (ec) throw std::runtime_error("cannot clear old part files in '" + dir_ + "': " + ec.message());
  }

  std::string dir_;
  std::unique_ptr<detail::output_dir_lock> lock_;
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
