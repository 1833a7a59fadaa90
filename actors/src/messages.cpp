#include "messages.hpp"

#include <algorithm>
#include <thread>

namespace weir::runtime {

std::vector<snapshot_chunks> message_parts(snapshot_chunks snapshot, size_t part_bytes) {
  std::vector<snapshot_chunks> parts(1);
  size_t bytes = 0;
  for (auto& chunk : snapshot) {
    if (!parts.back().empty() && bytes + chunk.size() > part_bytes) {
      parts.emplace_back();
      bytes = 0;
    }
    bytes += chunk.size();
    parts.back().push_back(std::move(chunk));
  }
  return parts;
}

wire_options to_wire(const runtime_options& o) {
  return {o.batch_size, o.max_batch_bytes, o.credit_window, o.buffer_timeout_ms,
          o.records_per_turn, o.idle_poll_ms, o.max_message_bytes};
}

runtime_options from_wire(const wire_options& w) {
  runtime_options o;
  o.batch_size = static_cast<size_t>(w.batch_size);
  o.max_batch_bytes = static_cast<size_t>(w.max_batch_bytes);
  o.credit_window = w.credit_window;
  o.buffer_timeout_ms = w.buffer_timeout_ms;
  o.records_per_turn = static_cast<size_t>(w.records_per_turn);
  o.idle_poll_ms = w.idle_poll_ms;
  if (w.max_message_bytes > 0) o.max_message_bytes = static_cast<size_t>(w.max_message_bytes);
  return o;
}

// Tasks never block by design, so threads beyond the cores only add context
// switches (measured: about 15-20 ns per record per hop with CAF's default of
// 4 threads on 2 cores). Two at least, so one slow user function cannot stall all.
size_t scheduler_threads(size_t requested) {
  if (requested > 0) return requested;
  return std::max<size_t>(2, std::thread::hardware_concurrency());
}

void configure_scheduler(caf::actor_system_config& cfg, size_t threads, size_t spin_polls) {
  cfg.set("scheduler.max-threads", scheduler_threads(threads));
  cfg.set("work-stealing.aggressive-poll-attempts", spin_polls);
}

void register_runtime_types(caf::actor_system_config& cfg) {
  cfg.add_message_type<endpoint>("weir.endpoint");
  cfg.add_message_type<std::vector<endpoint>>("std::vector<weir.endpoint>");
  cfg.add_message_type<wire_options>("weir.wire_options");
  cfg.add_message_type<deploy_request>("weir.deploy_request");
  cfg.add_message_type<node_info>("weir.node_info");
  cfg.add_message_type<task_status>("weir.task_status");
  cfg.add_message_type<task_report>("weir.task_report");
  cfg.add_message_type<std::vector<task_report>>("std::vector<weir.task_report>");
  cfg.add_message_type<run_outcome>("weir.run_outcome");
  cfg.add_message_type<std::vector<std::vector<char>>>("std::vector<std::vector<char>>");
  cfg.add_message_type<checkpoint_summary>("weir.checkpoint_summary");
}

} // namespace weir::runtime
