#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <ctime>
#include <fcntl.h>
#include <filesystem>
#include <map>
#include <memory>
#include <stdexcept>
#include <tuple>
#include <unistd.h>
#include <unordered_map>

#include "part_file_names.hpp"
#include "sink_files.hpp"
#include "weir/partitioned_files.hpp"

namespace weir {

namespace {

namespace fs = std::filesystem;

constexpr size_t max_open_files = 64;
constexpr const char* success_file = "_SUCCESS";

// Renames a pre-committed file into view. Several subtasks may commit one
// partition at once: a file already renamed by another is committed too.
void publish(const std::string& from, const std::string& to) {
  if (std::rename(from.c_str(), to.c_str()) == 0) return;
  std::error_code ec;
  if (errno == ENOENT && fs::is_regular_file(to, ec)) return;
  detail::fail_on("cannot rename to " + to, from);
}

std::string utc(int64_t ms, const char* format) {
  auto secs = static_cast<std::time_t>(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
  std::tm tm{};
  if (gmtime_r(&secs, &tm) == nullptr) throw std::runtime_error("no UTC date for time " + std::to_string(ms));
  char buf[64];
  return std::string(buf, std::strftime(buf, sizeof buf, format, &tm));
}

// Only plain relative paths: a partition never lands outside DIR.
void check_partition_path(const std::string& path, int64_t start) {
  fs::path p(path);
  bool ok = !path.empty() && p.is_relative();
  for (const auto& part : p)
    if (part.empty() || part == "." || part == "..") ok = false;
  if (!ok)
    throw std::runtime_error("partition path '" + path + "' of the partition starting at "
                             + std::to_string(start) + " is not a relative path of plain names");
}

using file_entry = std::tuple<std::string, uint64_t, bool>; // partition path, file number, late
using transaction = std::pair<std::vector<file_entry>, std::vector<std::string>>; // files, sealed partitions

struct open_file {
  std::FILE* file = nullptr;
  std::string partition;
  uint64_t number = 0;
  bool late = false;
};

/// A subtask of partitioned_file_sink: one file per partition and checkpoint
/// interval, published with its checkpoint; a partition sealed by the
/// watermark is committed with the checkpoint after it.
class partitioned_writer final : public sink_function<std::string> {
public:
  partitioned_writer(std::string dir, time_partitions by) : dir_(std::move(dir)), by_(std::move(by)) {}
  ~partitioned_writer() override {
    for (auto& [start, f] : open_) std::fclose(f.file); // uncommitted: stays hidden
  }

  void open(const subtask_info& info) override {
    info_ = info;
    lock_ = detail::hold_output_dir(dir_, info.run_id);
    if (!restored_) clear_earlier_run();
  }

  void write(const std::string& line) override { write_at(line, INT64_MIN); }

  void write_at(const std::string& line, int64_t timestamp) override {
    if (timestamp == INT64_MIN)
      throw std::runtime_error("a record without event time: partitioned_file_sink places records by "
                               "their timestamps (assign_timestamps_and_watermarks upstream)");
    if (timestamp < INT64_MIN + by_.period_ms)
      throw std::runtime_error("event time " + std::to_string(timestamp) + " has no partition");
    auto& f = file_for(partition_start(timestamp));
    if (std::fwrite(line.data(), 1, line.size(), f.file) != line.size() || std::fputc('\n', f.file) == EOF)
      detail::fail_on("cannot write", hidden_path(f));
  }

  void on_watermark(int64_t watermark) override {
    if (watermark <= watermark_) return;
    watermark_ = watermark;
    while (!unsealed_.empty() && sealed(unsealed_.begin()->first)) {
      auto start = unsealed_.begin()->first;
      if (auto it = open_.find(start); it != open_.end() && !it->second.late) close(start);
      sealed_.push_back(std::move(unsealed_.begin()->second));
      unsealed_.erase(unsealed_.begin());
    }
  }

  void end_of_input() override { on_watermark(INT64_MAX); }

  bool transactional() const override { return true; }

  std::string pre_commit() override {
    while (!open_.empty()) close(open_.begin()->first);
    if (closed_.empty() && sealed_.empty()) return {};
    std::string out;
    encode_value(transaction{std::exchange(closed_, {}), std::exchange(sealed_, {})}, out);
    return out;
  }

  void commit(const std::string& txn) override {
    transaction t;
    if (!decode_value(txn, t)) throw std::runtime_error("partitioned file sink: a transaction does not decode");
    for (const auto& [partition, number, late] : t.first) commit_file(partition, number, late);
    for (const auto& partition : t.second) commit_partition(partition);
  }

  void recover(const std::vector<std::string>& pre_committed) override {
    for (const auto& txn : pre_committed) commit(txn);
    // Hidden files are output no completed checkpoint holds; visible ones
    // numbered from next_file_ on came from checkpoints newer than the one
    // restored (a fallback past a corrupt one): both are written again, and
    // a partition not sealed in the restored state is not complete yet.
    for_each_file([&](const fs::path& path, const detail::part_file_name& f) {
      if (f.subtask == info_.index && (f.hidden || !f.txn || *f.txn >= next_file_)) remove(path);
    });
    for (const auto& [start, partition] : unsealed_) remove(fs::path(dir_) / partition / success_file);
  }

  void write_state(byte_writer& out) const override {
    codec<uint64_t>::encode(next_file_, out);
    codec<int64_t>::encode(watermark_, out);
    codec<std::vector<std::pair<int64_t, std::string>>>::encode({unsealed_.begin(), unsealed_.end()}, out);
  }
  void read_state(byte_reader& in) override {
    next_file_ = codec<uint64_t>::decode(in);
    watermark_ = codec<int64_t>::decode(in);
    auto unsealed = codec<std::vector<std::pair<int64_t, std::string>>>::decode(in);
    unsealed_ = {unsealed.begin(), unsealed.end()};
    restored_ = true;
  }

private:
  int64_t partition_start(int64_t t) const {
    auto p = by_.period_ms;
    return t - ((t % p) + p) % p;
  }
  // Every record of the partition has arrived: its last millisecond is at or
  // behind the watermark.
  bool sealed(int64_t start) const {
    int64_t last = 0;
    if (__builtin_add_overflow(start, by_.period_ms - 1, &last)) return watermark_ == INT64_MAX;
    return last <= watermark_;
  }

  open_file& file_for(int64_t start) {
    if (auto it = open_.find(start); it != open_.end()) return it->second;
    bool late = sealed(start);
    auto partition = by_.path(start);
    check_partition_path(partition, start);
    if (!late) unsealed_.emplace(start, partition);
    if (open_.size() >= max_open_files) close(oldest_open());
    open_file f{nullptr, std::move(partition), next_file_++, late};
    f.file = create(hidden_path(f), fs::path(dir_) / f.partition);
    return open_.emplace(start, std::move(f)).first->second;
  }

  // Another subtask's cleanup of an earlier run may remove a directory it
  // emptied just as this one creates the path or the file in it: try again.
  // (Each subtask cleans once, when it opens, so a few tries suffice.)
  static std::FILE* create(const std::string& path, const fs::path& partition_dir) {
    for (int attempt = 0;; ++attempt) {
      std::error_code ec;
      fs::create_directories(partition_dir, ec);
      if (!ec)
        if (auto* f = std::fopen(path.c_str(), "wb")) return f;
      bool vanished = ec ? ec == std::errc::no_such_file_or_directory : errno == ENOENT;
      if (vanished && attempt < 8) continue;
      if (ec)
        throw std::runtime_error("cannot create partition directory '" + partition_dir.string() + "': " + ec.message());
      detail::fail_on("cannot create", path);
    }
  }

  int64_t oldest_open() const {
    return std::min_element(open_.begin(), open_.end(),
                            [](const auto& a, const auto& b) { return a.second.number < b.second.number; })
      ->first;
  }

  // Flushes, syncs and closes a file; it commits with the next pre-commit.
  void close(int64_t start) {
    auto node = open_.extract(start);
    auto& f = node.mapped();
    detail::close_synced(f.file, hidden_path(f));
    closed_.emplace_back(f.partition, f.number, f.late);
  }

  void commit_file(const std::string& partition, uint64_t number, bool late) {
    auto dir = fs::path(dir_) / partition;
    auto from = (dir / detail::hidden_part_name(info_.uid, info_.index, number, late)).string();
    auto to = (dir / detail::visible_part_name(info_.uid, info_.index, number)).string();
    std::error_code ec;
    if (fs::exists(from, ec)) {
      publish(from, to);
      detail::sync_directory(dir.string());
    } else if (!fs::exists(to, ec)) {
      throw std::runtime_error("pre-committed part file '" + from + "' is gone: its output cannot be committed");
    }
  }

  // Every subtask's files of a sealed partition were pre-committed by the
  // checkpoint that sealed it (each subtask saw the same watermarks before
  // its barrier): publish those not yet published, then mark it complete.
  void commit_partition(const std::string& partition) {
    auto dir = fs::path(dir_) / partition;
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
      auto f = detail::parse_part_name(it->path().filename().string(), info_.uid);
      if (!f || !f->hidden || f->late || !f->txn) continue;
      publish(it->path().string(), (dir / detail::visible_part_name(info_.uid, f->subtask, *f->txn)).string());
    }
    if (ec) throw std::runtime_error("cannot list partition '" + dir.string() + "': " + ec.message());
    auto success = (dir / success_file).string();
    int fd = ::open(success.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0) detail::fail_on("cannot create", success);
    ::close(fd);
    detail::sync_directory(dir.string());
  }

  // A fresh run: this subtask's part files of an earlier run (subtask 0 also
  // those of subtasks beyond the parallelism) and every _SUCCESS go, then
  // the directories left empty. No _SUCCESS of this run exists yet: one is
  // written only when a checkpoint completes, after every subtask opened.
  void clear_earlier_run() {
    std::vector<fs::path> emptied; // directories this cleanup took files from
    auto take = [&](const fs::path& file) {
      remove(file);
      emptied.push_back(file.parent_path());
    };
    for_each_file([&](const fs::path& path, const detail::part_file_name& f) {
      if (f.subtask == info_.index || (info_.index == 0 && f.subtask >= info_.parallelism)) take(path);
    });
    auto success = [&](const fs::path& path) {
      if (path.filename() == success_file) take(path);
    };
    walk(fs::path(dir_), success, true);
    // Partition directories left empty go, children before parents, up to
    // DIR; one still (or again) in use fails rmdir, as it should.
    auto root = fs::path(dir_).lexically_normal();
    std::sort(emptied.begin(), emptied.end());
    emptied.erase(std::unique(emptied.begin(), emptied.end()), emptied.end());
    std::sort(emptied.rbegin(), emptied.rend());
    for (auto d : emptied)
      for (; d.lexically_normal() != root && d.has_parent_path() && ::rmdir(d.c_str()) == 0; d = d.parent_path()) {
      }
  }

  // Every regular file under DIR (symlinks not followed). A directory that
  // vanishes meanwhile (another subtask cleaning up) is skipped, not an error.
  template <class Visit>
  void walk(const fs::path& dir, Visit& visit, bool top) const {
    std::error_code ec;
    fs::directory_iterator it(dir, ec), end;
    for (; !ec && it != end; it.increment(ec)) {
      std::error_code kind;
      if (it->is_symlink(kind)) continue;
      if (it->is_directory(kind)) walk(it->path(), visit, false);
      else if (it->is_regular_file(kind)) visit(it->path());
    }
    if (ec && (top || ec != std::errc::no_such_file_or_directory))
      throw std::runtime_error("cannot list part files in '" + dir.string() + "': " + ec.message());
  }

  template <class Visit>
  void for_each_file(Visit&& visit) {
    auto each = [&](const fs::path& path) {
      if (auto f = detail::parse_part_name(path.filename().string(), info_.uid)) visit(path, *f);
    };
    walk(fs::path(dir_), each, true);
  }

  static void remove(const fs::path& path) {
    std::error_code ec;
    if (!fs::remove(path, ec) && ec)
      throw std::runtime_error("cannot remove '" + path.string() + "': " + ec.message()
                               + " (it must not stay: its output would be seen twice)");
  }

  std::string hidden_path(const open_file& f) const {
    return (fs::path(dir_) / f.partition / detail::hidden_part_name(info_.uid, info_.index, f.number, f.late)).string();
  }

  std::string dir_;
  time_partitions by_;
  subtask_info info_;
  std::unique_ptr<detail::output_dir_lock> lock_;
  std::unordered_map<int64_t, open_file> open_; // partition start -> its file of this interval
  std::map<int64_t, std::string> unsealed_;     // partitions written to and not sealed yet (stored)
  std::vector<file_entry> closed_;              // files closed since the last pre-commit
  std::vector<std::string> sealed_;             // partitions sealed since the last pre-commit
  int64_t watermark_ = INT64_MIN;               // stored
  uint64_t next_file_ = 0;                      // stored
  bool restored_ = false;
};

} // namespace

time_partitions hive_minutes() {
  return {60'000, [](int64_t start) { return utc(start, "dt=%Y-%m-%d/hm=%H:%M"); }};
}

time_partitions hive_days() {
  return {86'400'000, [](int64_t start) { return utc(start, "dt=%Y-%m-%d"); }};
}

partitioned_sink<std::string> partitioned_file_sink(std::string dir, time_partitions by) {
  if (by.period_ms <= 0) throw std::invalid_argument("partitioned_file_sink: the period must be positive");
  if (!by.path) throw std::invalid_argument("partitioned_file_sink: no partition path function");
  return {[dir, by] { return std::make_unique<partitioned_writer>(dir, by); }};
}

} // namespace weir
