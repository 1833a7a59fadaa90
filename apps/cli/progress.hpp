#pragma once

// A running job's progress for a person watching: records read, their rate,
// the event time reached and the latest checkpoint, from each metrics
// snapshot. On a terminal one line is rewritten in place; otherwise a plain
// line is printed now and then, so logs stay readable.

#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "weir/metrics.hpp"

namespace weir::apps {

/// "job: 1.20M records read (340.1k/s), event time 2026-12-02 10:00:01 (2.1 s
/// behind), checkpoint 12 (1.2 MiB)": the line printed for `m` (the lag only
/// when under a day: replayed history is not behind).
std::string progress_text(const job_metrics& m);

/// Prints progress_text to `out`. Thread-safe (the runtime calls it from its
/// threads); `out` must outlive it.
class progress_printer {
public:
  /// `terminal`: rewrite one line in place on each snapshot; otherwise print
  /// a line at most every `plain_every`.
  progress_printer(std::FILE* out, bool terminal,
                   std::chrono::milliseconds plain_every = std::chrono::seconds(10));
  void print(const job_metrics& m);
  /// Ends a line being rewritten (call once the job ended).
  void finish();
  /// A callback for metrics_options::on_metrics that prints to `printer`.
  static std::function<void(const job_metrics&)>
  callback(std::shared_ptr<progress_printer> printer);

private:
  std::FILE* out_;
  bool terminal_;
  std::chrono::milliseconds plain_every_;
  std::mutex mtx_;
  bool open_line_ = false;
  std::chrono::steady_clock::time_point last_plain_;
};

} // namespace weir::apps
