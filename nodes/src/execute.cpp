// environment::execute: the embedded runtime and the coordinator of a
// multi-node run. Lives in nodes/ because it may connect to node daemons.

#include <caf/io/all.hpp>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <random>

#include "bounded_middleman.hpp"
#include "metrics_reporters.hpp"
#include "control_endpoint.hpp"
#include "messages.hpp"
#include "placement.hpp"
#include "run_recovery.hpp"
#include "sigterm_stop.hpp"
#include "store_actor.hpp"
#include "supervisor.hpp"
#include "weir/stream.hpp"

namespace weir {

namespace {

error from_caf(caf::actor_system& sys, const caf::error& err) {
  const auto& ctx = err.context();
  if (ctx.match_elements<uint8_t, std::string>())
    return {static_cast<errc>(ctx.get_as<uint8_t>(0)), ctx.get_as<std::string>(1)};
  return {errc::operator_failed, sys.render(err)};
}

/// Where the runtime's log events go: the user's log_events, else the
/// user's log as plain text from info up; one at a time whichever thread says it (the
/// supervisor, the store, the SIGTERM watcher, this one). Null when neither is set.
std::function<void(const log_event&)> serialized(const runtime_options& o) {
  if (!o.log_events && !o.log) return nullptr;
  auto mutex = std::make_shared<std::mutex>();
  return [mutex, events = o.log_events, text = o.log](const log_event& e) {
    std::lock_guard<std::mutex> guard(*mutex);
    if (events)
      events(e);
    else if (e.level >= log_level::info) // the plain log never had debug lines
      text(log_text(e));
  };
}

} // namespace

job_result environment::execute(const std::string& job_name) {
  job_result result;
  graph_->name = job_name;
  auto plan = detail::make_plan(*graph_);
  if (!plan) {
    result.failure = plan.error_value();
    return result;
  }
  auto dep = std::make_shared<runtime::deployment>();
  dep->graph = graph_;
  dep->plan = std::move(*plan);
  dep->options = options_;
  dep->options.log_events = serialized(options_);
  // Lines said as plain text (preparing the run, placing it) are info, of no job.
  if (auto events = dep->options.log_events)
    dep->options.log = [events](const std::string& line) {
      events({log_level::info, "", "", line, wall_clock_ms()});
    };
  auto log = dep->options.log;
  dep->run_id = std::random_device{}() * uint64_t{0x100000001b3} ^ std::random_device{}();
  dep->checkpointing = options_.checkpoints.interval_ms > 0;
  if (dep->options.job_timeout_ms == 0)
    if (const char* env = std::getenv("WEIR_JOB_TIMEOUT_MS")) dep->options.job_timeout_ms = std::strtoull(env, nullptr, 10);
  std::optional<runtime::prepared_run> prepared;
  bool savepoints = !options_.checkpoints.from_savepoint.empty() || !options_.checkpoints.savepoint_on_stop.empty();
  if (savepoints && (!dep->checkpointing || options_.checkpoints.state_dir.empty())) {
    result.failure = {errc::bad_argument, "savepoints (from_savepoint, savepoint_on_stop) need checkpoints: "
                                          "a checkpoint interval and a state dir"};
    return result;
  }
  if (auto err = options_.metrics.check()) { // before anything is prepared
    result.failure = err;
    return result;
  }
  if (dep->checkpointing) {
    auto p = runtime::prepare_run(*graph_, dep->plan, options_.checkpoints, log);
    if (!p) {
      result.failure = p.error_value();
      return result;
    }
    prepared = std::move(*p);
    result.resumed_from = prepared->resumed_from;
    if (prepared->savepoint)
      result.restored_savepoint = prepared->savepoint->savepoint + "@" + std::to_string(prepared->savepoint->version);
  }
  caf::actor_system_config cfg;
  runtime::register_runtime_types(cfg);
  runtime::configure_scheduler(cfg, options_.scheduler_threads,
                               options_.scheduler_spin_polls > 0 ? options_.scheduler_spin_polls
                                                                 : spin_polls_for(options_.batch_size));
  // A job checkpointing into a state directory is reachable there (weir/control.hpp).
  bool reachable = prepared && !options_.checkpoints.state_dir.empty();
  if (!options_.nodes.empty() || reachable) {
    // The heartbeat watches nodes; a job without any has none to watch.
    nodes::message_limits limits;
    limits.message_bytes = options_.max_message_bytes;
    nodes::load_bounded_middleman(cfg, limits, options_.nodes.empty() ? 0 : 1000, options_.node_silence_timeout_ms);
    if (!options_.nodes.empty())
      nodes::load_tls(cfg, {options_.tls_certificate, options_.tls_key, options_.tls_ca});
  }
  // Blocked before CAF starts its threads, so only the watcher takes SIGTERM.
  std::unique_ptr<nodes::sigterm_stop> on_sigterm;
  if (prepared && !options_.checkpoints.savepoint_on_stop.empty()) on_sigterm = std::make_unique<nodes::sigterm_stop>();
  caf::actor_system sys{cfg};
  auto where = nodes::place_on_nodes(sys, *dep);
  if (!where) {
    result.failure = where.error_value();
    return result;
  }
  runtime::supervision how;
  auto placed_nodes = where->nodes;
  auto node_bytes_before = nodes::bytes_read_by(sys, placed_nodes);
  how.where = std::move(*where);
  caf::actor rejoiner; // stopped below: the actor system waits for it
  if (!how.where.nodes.empty()) how.rejoiner = rejoiner = nodes::spawn_rejoiner(sys, dep, how.where);
  if (prepared) {
    how.store = runtime::spawn_store_actor(sys, dep, prepared->store, prepared->record, prepared->savepoint);
    how.bad_checkpoints = prepared->skipped;
    how.next_checkpoint = prepared->next_checkpoint;
  }
  std::shared_ptr<nodes::metrics_reporters> reporters; // outlives the run: the supervisor publishes to it
  if (options_.metrics.enabled()) {
    auto started_reporters = nodes::metrics_reporters::start(options_.metrics, log);
    if (!started_reporters) {
      result.failure = started_reporters.error_value();
      return result;
    }
    reporters = std::move(*started_reporters);
    // Weak: the run's end (below) stops the reporters, whenever the supervisor goes.
    how.on_metrics = [weak = std::weak_ptr<nodes::metrics_reporters>(reporters)](const job_metrics& m) {
      if (auto r = weak.lock()) r->publish(m);
    };
  }
  auto started = std::chrono::steady_clock::now();
  auto supervisor = runtime::spawn_supervisor(sys, dep, std::move(how));
  std::unique_ptr<nodes::control_endpoint> control;
  if (reachable) {
    // Without an endpoint the job still runs; it cannot be reached, and says so.
    auto ep = nodes::control_endpoint::open(sys, supervisor, options_.checkpoints.state_dir);
    std::string said = ep ? "control endpoint on 127.0.0.1:" + std::to_string((*ep)->port()) + " (weir job status --state-dir "
                              + options_.checkpoints.state_dir + ")"
                          : "no control endpoint: " + ep.error_value().message();
    if (ep) control = std::move(*ep);
    if (const auto& events = dep->options.log_events) events({log_level::info, graph_->name, "", said, wall_clock_ms()});
  }
  if (on_sigterm) on_sigterm->watch(sys, supervisor, options_.checkpoints.savepoint_on_stop, log);
  caf::scoped_actor self{sys};
  self->request(supervisor, caf::infinite, runtime::run_atom::value)
    .receive(
      [&](runtime::run_outcome& outcome) {
        for (const auto& r : outcome.reports) {
          result.source_records += r.source_records;
          result.sink_records += r.sink_records;
          result.late_records += r.late_records;
        }
        result.checkpoints = outcome.checkpoints;
        result.last_checkpoint = outcome.last_checkpoint;
        result.restarts = outcome.restarts;
        result.stopped_with = outcome.stopped_with;
      },
      [&](caf::error& err) { result.failure = from_caf(sys, err); });
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (!options_.nodes.empty()) {
    result.bytes_from_nodes = nodes::bytes_received(sys);
    result.messages_from_nodes = nodes::messages_received(sys);
    auto after = nodes::bytes_read_by(sys, placed_nodes);
    for (size_t i = 0; i < after.size(); ++i) // a node lost, or back as a new process, is left out
      if (after[i] && node_bytes_before[i] && *after[i] >= *node_bytes_before[i])
        result.bytes_read_by_nodes += *after[i] - *node_bytes_before[i];
  }
  if (rejoiner) caf::anon_send_exit(rejoiner, caf::exit_reason::user_shutdown);
  reporters.reset(); // the endpoint closes, the last points go to InfluxDB
  control.reset(); // its files go before the job is reported ended
  if (on_sigterm) on_sigterm->stop(); // before the actor system it uses goes
  return result;
}

} // namespace weir
