#pragma once

/// \file
/// Options of async I/O (stream::async_map): how many requests a subtask
/// keeps in flight, how long one may take, and in which order results go
/// on. A value type.

#include <chrono>
#include <cstddef>

namespace weir {

/// How stream::async_map runs its requests, per subtask.
struct async_options {
  /// At most this many requests in flight (issued and not yet passed on):
  /// at capacity the operator takes no more input, so a slow service
  /// backpressures the job like a slow operator. At least 1.
  size_t capacity = 100;
  /// A request not complete after this long (processing time) times out:
  /// the job fails, naming the operator, or the on_timeout function gives
  /// the result. Positive.
  std::chrono::milliseconds timeout{10000};
  /// true: results go on in the order of their inputs (Flink's
  /// orderedWait). false: as they complete (unorderedWait). Either way no
  /// result overtakes a watermark that came after its input, nor is
  /// overtaken by one that came before.
  bool ordered = true;
  /// How often the operator looks whether requests completed while some
  /// are in flight (a std::future cannot call back). At least 1.
  std::chrono::milliseconds poll_interval{1};
};

} // namespace weir
