#pragma once

/// \file
/// Built-in sinks: files, stdout, and an in-memory collector for tests.

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "weir/functions.hpp"

namespace weir {

/// Writes each record (a line) to part files in DIR, exactly once: a
/// two-phase-commit sink. What a subtask writes between two checkpoints goes
/// to a hidden file `DIR/.part-<uid>-<subtask>.<n>.inprogress`; on the barrier
/// it is flushed and fsynced (pre-commit), and once the checkpoint completes
/// it is renamed to `DIR/part-<uid>-<subtask>.<n>` (n zero-padded, counting
/// up). Without checkpoints the one file commits when the job succeeds. So a
/// reader of part-* files never sees output of a failed attempt, and after a
/// restore sees each record once; a subtask's files in name order hold its
/// records in order. Creates DIR if missing. One run of a job holds DIR (an
/// flock on DIR/.weir-lock): a second run into it fails. A fresh run removes
/// the sink's own part files of an earlier run, regular files only; it
/// never replaces anything but a regular file. Errors (cannot create or
/// write, DIR in use, a pre-committed file gone) fail the job naming the file.
sink_factory<std::string> file_sink(std::string dir);

/// Writes each record as a line to standard output (lines of concurrent
/// subtasks never interleave mid-line).
sink_factory<std::string> stdout_sink();

/// A thread-safe bag of records written by collect_sink. For tests and
/// small results: it grows without bound.
template <class T>
class collected {
public:
  /// Appends a copy of `value`.
  void add(const T& value) {
    {
      std::lock_guard<std::mutex> guard(mutex_);
      values_.push_back(value);
    }
    grown_.notify_all();
  }
  /// Adds `values` unless transaction `id` was added before (commits are
  /// idempotent); returns whether it added them.
  bool add_once(const std::string& id, const std::vector<T>& values) {
    {
      std::lock_guard<std::mutex> guard(mutex_);
      if (!committed_.insert(id).second) return false;
      values_.insert(values_.end(), values.begin(), values.end());
    }
    grown_.notify_all();
    return true;
  }
  /// Waits until at least `n` records are here, or `timeout` passed;
  /// returns whether they are (a job running in another thread fills it).
  bool wait_for(size_t n, std::chrono::milliseconds timeout) const {
    std::unique_lock<std::mutex> lock(mutex_);
    return grown_.wait_for(lock, timeout, [&] { return values_.size() >= n; });
  }
  /// A copy of everything collected so far.
  std::vector<T> values() const {
    std::lock_guard<std::mutex> guard(mutex_);
    return values_;
  }

private:
  mutable std::mutex mutex_;
  mutable std::condition_variable grown_;
  std::vector<T> values_;
  std::set<std::string> committed_;
};

namespace detail {
/// Transactional: records wait in the subtask until their checkpoint
/// completes (or the job succeeds), so `collected` holds committed output.
template <class T>
class collect_sink_function final : public sink_function<T> {
public:
  explicit collect_sink_function(std::shared_ptr<collected<T>> into) : into_(std::move(into)) {}
  // Each opening of the subtask gets its own epoch: after a fallback to an
  // older checkpoint, new transactions never take the name of one a newer
  // checkpoint committed (which add_once would then drop).
  void open(const subtask_info& info) override {
    name_ = info.uid + "/" + std::to_string(info.index) + "/" + std::to_string(std::random_device{}());
  }
  void write(const T& value) override { staged_.push_back(value); }

  bool transactional() const override { return true; }
  std::string pre_commit() override {
    if (staged_.empty()) return {};
    std::string txn;
    encode_value(std::make_pair(name_ + "." + std::to_string(next_++), staged_), txn);
    staged_.clear();
    return txn;
  }
  // A transaction is named by sink uid, subtask and number: several sinks may
  // share one `collected`, and a commit repeated after a restore adds nothing.
  void commit(const std::string& txn) override {
    std::pair<std::string, std::vector<T>> t;
    if (!decode_value(txn, t)) throw std::runtime_error("collect_sink: a transaction does not decode");
    into_->add_once(t.first, t.second);
  }
  void write_state(byte_writer& out) const override { codec<uint64_t>::encode(next_, out); }
  void read_state(byte_reader& in) override { next_ = codec<uint64_t>::decode(in); }

private:
  std::shared_ptr<collected<T>> into_;
  std::vector<T> staged_;
  std::string name_;
  uint64_t next_ = 0;
};
} // namespace detail

/// Appends every record to `into` (shared by all subtasks), exactly once:
/// records become visible in `into` when their checkpoint completes, or when
/// the job succeeds.
template <class T>
sink_factory<T> collect_sink(std::shared_ptr<collected<T>> into) {
  return [into] { return std::make_unique<detail::collect_sink_function<T>>(into); };
}

/// A sink from a function called with every record: fn(const T&). One copy
/// of `fn` per subtask; each copy is called from one thread.
template <class T, class F>
sink_factory<T> function_sink(F fn) {
  struct fn_sink final : sink_function<T> {
    explicit fn_sink(F f) : f_(std::move(f)) {}
    void write(const T& value) override { f_(value); }
    F f_;
  };
  return [fn] { return std::make_unique<fn_sink>(fn); };
}

} // namespace weir
