#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <utility>

#include "part_file_names.hpp"
#include "sink_files.hpp"
#include "weir/sinks.hpp"

namespace weir {

namespace {

namespace fs = std::filesystem;

// A rename replaces whatever is at its target: only a regular file may be.
void require_replaceable(const std::string& path) {
  std::error_code ec;
  auto st = fs::symlink_status(path, ec);
  if (!ec && st.type() != fs::file_type::not_found && st.type() != fs::file_type::regular)
    throw std::runtime_error("'" + path + "' is in the way and is not a regular file; "
                             "Weir replaces only its own part files");
}

/// A file_sink subtask: one hidden file per transaction (checkpoint
/// interval), renamed into view when its checkpoint completes.
class file_sink_function final : public sink_function<std::string> {
public:
  explicit file_sink_function(std::string dir) : dir_(std::move(dir)) {}
  ~file_sink_function() override {
    if (file_ != nullptr) std::fclose(file_); // uncommitted: stays hidden until a recovery or a fresh run
  }

  void open(const subtask_info& info) override {
    info_ = info;
    lock_ = detail::hold_output_dir(dir_, info.run_id);
    if (!restored_) remove_files([](const detail::part_file_name&) { return true; });
  }

  void write(const std::string& line) override {
    if (file_ == nullptr) begin();
    if (std::fwrite(line.data(), 1, line.size(), file_) != line.size() || std::fputc('\n', file_) == EOF)
      detail::fail_on("cannot write", path(hidden(txn_)));
  }

  bool transactional() const override { return true; }

  std::string pre_commit() override {
    if (file_ == nullptr) return {};
    detail::close_synced(std::exchange(file_, nullptr), path(hidden(txn_)));
    std::string txn;
    encode_value(txn_, txn);
    return txn;
  }

  void commit(const std::string& txn) override {
    uint64_t n = 0;
    if (!decode_value(txn, n)) throw std::runtime_error("file sink: a transaction does not decode");
    auto from = path(hidden(n)), to = path(visible(n));
    std::error_code ec;
    if (fs::exists(from, ec)) {
      require_replaceable(to);
      if (std::rename(from.c_str(), to.c_str()) != 0) detail::fail_on("cannot rename to " + to, from);
      detail::sync_directory(dir_);
    } else if (!fs::exists(to, ec)) {
      throw std::runtime_error("pre-committed part file '" + from + "' is gone: its output cannot be committed");
    } // else committed before: commits are idempotent
  }

  void recover(const std::vector<std::string>& pre_committed) override {
    for (const auto& txn : pre_committed) commit(txn);
    // Hidden files are output no completed checkpoint holds; visible ones
    // from this transaction number on came from checkpoints newer than the
    // one restored (a fallback past a corrupt one): both are redone.
    remove_files([&](const detail::part_file_name& f) { return f.hidden || !f.txn || *f.txn >= next_txn_; });
  }

  void write_state(byte_writer& out) const override { codec<uint64_t>::encode(next_txn_, out); }
  void read_state(byte_reader& in) override {
    next_txn_ = codec<uint64_t>::decode(in);
    restored_ = true;
  }

private:
  std::string visible(uint64_t n) const { return detail::visible_part_name(info_.uid, info_.index, n); }
  std::string hidden(uint64_t n) const { return detail::hidden_part_name(info_.uid, info_.index, n); }
  std::string path(const std::string& name) const { return (fs::path(dir_) / name).string(); }

  void begin() {
    txn_ = next_txn_++;
    auto p = path(hidden(txn_));
    file_ = std::fopen(p.c_str(), "wb");
    if (file_ == nullptr) detail::fail_on("cannot create", p);
  }

  // Removes this subtask's part files that `doomed` names (subtask 0 also
  // those of subtasks beyond the parallelism), regular files only.
  template <class Doomed>
  void remove_files(Doomed&& doomed) {
    std::error_code ec;
    for (fs::directory_iterator it(dir_, ec), end; !ec && it != end; it.increment(ec)) {
      auto f = detail::parse_part_name(it->path().filename().string(), info_.uid);
      std::error_code kind;
      if (!f || it->is_symlink(kind) || !it->is_regular_file(kind)) continue;
      bool mine = f->subtask == info_.index;
      bool orphan = info_.index == 0 && f->subtask >= info_.parallelism;
      std::error_code removed;
      if (((mine && doomed(*f)) || orphan) && !fs::remove(it->path(), removed) && removed)
        throw std::runtime_error("cannot remove '" + it->path().string() + "': " + removed.message()
                                 + " (it must not stay: its output would be seen twice)");
    }
    if (ec) throw std::runtime_error("cannot clear old part files in '" + dir_ + "': " + ec.message());
  }

  std::string dir_;
  subtask_info info_;
  std::unique_ptr<detail::output_dir_lock> lock_;
  std::FILE* file_ = nullptr;
  uint64_t txn_ = 0;      // the open transaction's number
  uint64_t next_txn_ = 0; // the next transaction's number (stored in checkpoints)
  bool restored_ = false;
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
