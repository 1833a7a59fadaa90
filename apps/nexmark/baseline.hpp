#pragma once

// Hand-written, single-threaded versions of the queries: the COST baseline
// `weir bench nexmark` measures the runtime against. Each takes events in
// event-time order (as the generator makes them) and writes the same lines
// the query writes, through `line_sink`.

#include <memory>
#include <string>

#include "nexmark/event.hpp"
#include "nexmark/queries.hpp"

namespace weir::nexmark {

/// Where a loop's result lines go. Not owned by the loop.
class line_sink {
public:
  virtual ~line_sink() = default;
  virtual void take(const std::string& line) = 0;
};

/// One query as a plain loop body. Not thread-safe; one instance per run.
class query_loop {
public:
  virtual ~query_loop() = default;
  /// The next event, in event-time order.
  virtual void add(const event& e) = 0;
  /// The end of input: everything still open is written.
  virtual void finish() {}
};

/// The loop for query `name`, or null when there is none (or q13 has no
/// side input).
std::unique_ptr<query_loop> make_query_loop(const std::string& name, line_sink& out, const query_inputs& inputs = {});

} // namespace weir::nexmark
