#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
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
/// interval), renamed into view when its checkpoint completes. Files are
/// named by a file index, a subtask's own at first. Each subtask answers for
/// the indexes i with i % parallelism == its own: the next transaction of
/// those it owns (it wrote them, or took them over in a rescale) is in its
/// state; files of an index nobody owns are debris of an earlier run.
class file_sink_function final : public sink_function<std::string> {
public:
  explicit file_sink_function(std::string dir) : dir_(std::move(dir)) {}
  ~file_sink_function() override {
    if (file_ != nullptr) std::fclose(file_); // uncommitted: stays hidden until a recovery or a fresh run
  }

  void open(const subtask_info& info) override {
    info_ = info;
    lock_ = detail::hold_output_dir(dir_, info.run_id);
    if (restored_single_) owned_ = {{info.index, *restored_single_}};
    next_txn_ = owned_.count(info.index) ? owned_[info.index] : 0;
    if (!restored_) remove_files([](const detail::part_file_name&, uint64_t) { return true; });
  }

  void write(const std::string& line) override {
    if (file_ == nullptr) begin();
    if (std::fwrite(line.data(), 1, line.size(), file_) != line.size() || std::fputc('\n', file_) == EOF)
      detail::fail_on("cannot write", path(hidden(info_.index, txn_)));
  }

  bool transactional() const override { return true; }

  std::string pre_commit() override {
    if (file_ == nullptr) return {};
    detail::close_synced(std::exchange(file_, nullptr), path(hidden(info_.index, txn_)));
    std::string txn;
    encode_value(txn_, txn);
    return txn;
  }

  void commit(const std::string& txn) override { commit_as(info_.index, txn); }

  void recover(const std::vector<std::string>& pre_committed) override {
    // Reprocessing from a savepoint into a fresh directory: the restored
    // transactions were committed into the directory the savepoint's run
    // wrote, so there is nothing here to commit.
    fresh_directory_ = !holds_files_of_mine();
    for (const auto& txn : pre_committed) commit(txn);
    for (const auto& [index, txn] : std::exchange(rescaled_commits_, {})) commit_as(index, txn);
    remove_uncommitted();
  }

  // Every old subtask's indexes and transactions are shared out by index.
  bool read_rescaled_state(const subtask_info& now, const std::vector<old_subtask>& old) override {
    restored_ = true;
    owned_.clear();
    for (const auto& o : old) {
      for (const auto& [index, next] : decode_owned(o.state, o.index))
        if (index % now.parallelism == now.index) owned_[index] = next;
      // A transaction is its writer's: named by the old subtask's index.
      if (o.index % now.parallelism == now.index)
        for (const auto& txn : o.pre_committed) rescaled_commits_.emplace_back(o.index, txn);
    }
    return true;
  }

  void write_state(byte_writer& out) const override {
    auto owned = owned_;
    owned[info_.index] = next_txn_;
    if (owned.size() == 1) { // its own index only: one number, as before rescaling existed
      codec<uint64_t>::encode(next_txn_, out);
      return;
    }
    codec<uint64_t>::encode(owned_marker, out);
    codec<std::vector<std::pair<uint32_t, uint64_t>>>::encode({owned.begin(), owned.end()}, out);
  }
  void read_state(byte_reader& in) override {
    restored_ = true;
    auto first = codec<uint64_t>::decode(in);
    if (first != owned_marker) {
      restored_single_ = first;
      return;
    }
    auto list = codec<std::vector<std::pair<uint32_t, uint64_t>>>::decode(in);
    owned_ = {list.begin(), list.end()};
  }

private:
  static constexpr uint64_t owned_marker = UINT64_MAX; // never a transaction number

  std::map<uint32_t, uint64_t> decode_owned(const std::string& state, uint32_t index) const {
    byte_reader in(state);
    file_sink_function parsed(dir_);
    parsed.read_state(in);
    if (!in.ok() || !in.at_end()) throw std::runtime_error("file sink: a stored state does not decode");
    if (parsed.restored_single_) return {{index, *parsed.restored_single_}};
    return parsed.owned_;
  }

  void commit_as(uint32_t index, const std::string& txn) {
    uint64_t n = 0;
    if (!decode_value(txn, n)) throw std::runtime_error("file sink: a transaction does not decode");
    auto from = path(hidden(index, n)), to = path(visible(index, n));
    std::error_code ec;
    if (fs::exists(from, ec)) {
      require_replaceable(to);
      if (std::rename(from.c_str(), to.c_str()) != 0) detail::fail_on("cannot rename to " + to, from);
      detail::sync_directory(dir_);
    } else if (!fs::exists(to, ec) && !fresh_directory_) {
      throw std::runtime_error("pre-committed part file '" + from + "' is gone: its output cannot be committed");
    } // else committed before (commits are idempotent), or into another directory
  }

  /// Whether the directory holds a part file of an index this subtask answers for.
  bool holds_files_of_mine() const {
    std::error_code ec;
    for (fs::directory_iterator it(dir_, ec), end; !ec && it != end; it.increment(ec)) {
      auto f = detail::parse_part_name(it->path().filename().string(), info_.uid);
      if (f && f->subtask % info_.parallelism == info_.index) return true;
    }
    return false;
  }

  // Hidden files are output no completed checkpoint holds; visible ones
  // from an owned index's next transaction on came from checkpoints newer
  // than the one restored (a fallback past a corrupt one): both are redone.
  void remove_uncommitted() {
    owned_[info_.index] = next_txn_;
    remove_files([&](const detail::part_file_name& f, uint64_t next) { return f.hidden || !f.txn || *f.txn >= next; });
  }

  std::string visible(uint32_t index, uint64_t n) const { return detail::visible_part_name(info_.uid, index, n); }
  std::string hidden(uint32_t index, uint64_t n) const { return detail::hidden_part_name(info_.uid, index, n); }
  std::string path(const std::string& name) const { return (fs::path(dir_) / name).string(); }

  void begin() {
    txn_ = next_txn_++;
    auto p = path(hidden(info_.index, txn_));
    file_ = std::fopen(p.c_str(), "wb");
    if (file_ == nullptr) detail::fail_on("cannot create", p);
  }

  // Removes the part files of the indexes this subtask answers for that
  // `doomed(file, next transaction of its index)` names, and every file of
  // such an index it does not own (regular files only).
  template <class Doomed>
  void remove_files(Doomed&& doomed) {
    std::error_code ec;
    for (fs::directory_iterator it(dir_, ec), end; !ec && it != end; it.increment(ec)) {
      auto f = detail::parse_part_name(it->path().filename().string(), info_.uid);
      std::error_code kind;
      if (!f || it->is_symlink(kind) || !it->is_regular_file(kind)) continue;
      if (f->subtask % info_.parallelism != info_.index) continue;
      auto owned = owned_.find(f->subtask);
      bool debris = owned == owned_.end() || doomed(*f, owned->second);
      std::error_code removed;
      if (debris && !fs::remove(it->path(), removed) && removed)
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
  uint64_t next_txn_ = 0; // the next transaction's number of its own index (stored in checkpoints)
  std::map<uint32_t, uint64_t> owned_;     // file index -> next transaction, of the indexes it owns
  std::optional<uint64_t> restored_single_; // a restored next transaction of its own index
  std::vector<std::pair<uint32_t, std::string>> rescaled_commits_; // file index, transaction: taken over
  bool restored_ = false;
  bool fresh_directory_ = false; // recovering into a directory without files of its indexes
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
