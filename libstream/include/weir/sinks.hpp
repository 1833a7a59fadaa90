#pragma once

/// \file Built-in sinks: files, stdout, and an in-memory collector for tests.

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "weir/functions.hpp"

namespace weir {

/// Writes each record (a line) to DIR/part-<uid>-<subtask>. While a subtask
/// writes, its file is hidden as DIR/.part-<uid>-<subtask>.inprogress; it is
/// renamed once all input has arrived, so a reader never sees a partial part
/// file. Creates DIR if missing. One run of a job holds DIR (an flock on
/// DIR/.weir-lock): a second run into it fails. On open a subtask removes
/// its own part files of an earlier run, regular files only; it never
/// replaces anything but a regular file. Errors (cannot create or write, DIR
/// in use) fail the job naming the file.
sink_factory<std::string> file_sink(std::string dir);

/// Writes each record as a line to standard output (lines of concurrent
/// subtasks never interleave mid-line).
sink_factory<std::string> stdout_sink();

/// A thread-safe bag of records written by collect_sink. For tests and
/// small results: it grows without bound.
template <class T>
class collected {
public:
  void add(const T& value) {
    std::lock_guard<std::mutex> guard(mutex_);
    values_.push_back(value);
  }
  /// A copy of everything collected so far.
  std::vector<T> values() const {
    std::lock_guard<std::mutex> guard(mutex_);
    return values_;
  }

private:
  mutable std::mutex mutex_;
  std::vector<T> values_;
};

namespace detail {
template <class T>
class collect_sink_function final : public sink_function<T> {
public:
  explicit collect_sink_function(std::shared_ptr<collected<T>> into) : into_(std::move(into)) {}
  void write(const T& value) override { into_->add(value); }

private:
  std::shared_ptr<collected<T>> into_;
};
} // namespace detail

/// Appends every record to `into` (shared by all subtasks).
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
