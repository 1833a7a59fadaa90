#pragma once

// Naming the bottleneck of a running job from where its tasks' time went.
// No CAF here: unit-tested on its own.

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

namespace weir::runtime {

/// One task's shares of its wall time (see task_time); `known` false when
/// the task did not answer.
struct task_share {
  bool known = false;
  double busy = 0;
  double backpressured = 0;
};

/// The task that limits the job: busy at least half the time while it
/// rarely waits for credit itself (under a fifth of the time), with a task
/// upstream of it (a feeder, or a feeder's feeder) backpressured at least
/// half the time. Every task upstream
/// of a slow one waits for credit, so backpressure alone would name them
/// all; this names the one they wait for. Of several such tasks, the
/// busiest; none when no task qualifies. `edges` are the channels as
/// (producer task, consumer task).
std::optional<uint32_t> find_bottleneck(const std::vector<std::pair<uint32_t, uint32_t>>& edges,
                                        const std::vector<task_share>& shares);

} // namespace weir::runtime
