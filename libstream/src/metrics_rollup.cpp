// A job's metrics rolled up from its tasks: sources in, sinks out.

#include <algorithm>

#include "weir/metrics.hpp"

namespace weir {

job_rollup rollup(const job_metrics& m) {
  std::vector<bool> has_input(m.tasks.size(), false);
  std::vector<bool> has_output(m.tasks.size(), false);
  for (const auto& [producer, consumer] : m.channels) {
    if (producer < m.tasks.size()) has_output[producer] = true;
    if (consumer < m.tasks.size()) has_input[consumer] = true;
  }
  job_rollup r;
  bool sink_seen = false;
  int64_t least = INT64_MAX;
  for (size_t i = 0; i < m.tasks.size(); ++i) {
    const auto& t = m.tasks[i];
    if (!t.running) continue;
    ++r.running_tasks;
    r.late_records += t.late_records;
    r.queued_frames += t.queued_frames;
    if (t.backpressured_share > 0.5) ++r.backpressured_tasks;
    if (!has_input[i]) {
      r.records_in += t.records_out;
      r.records_in_per_s += t.records_out_per_s;
    }
    if (!has_output[i]) {
      r.records_out += t.records_in;
      r.records_out_per_s += t.records_in_per_s;
      sink_seen = true;
      least = std::min(least, t.watermark);
    }
  }
  r.watermark = sink_seen ? least : INT64_MIN;
  return r;
}

} // namespace weir
