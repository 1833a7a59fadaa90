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
#include "control_endpoint.hpp"
#include "messages.hpp"
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

/// Connects to the node at `address` through CAF's middleman actor, with a
/// deadline: middleman::remote_actor waits for the peer's handshake forever.
expected<caf::actor> connect(caf::actor_system& sys, const std::string& address, uint32_t timeout_ms) {
  auto colon = address.rfind(':');
  if (colon == std::string::npos)
    return error{errc::bad_argument, "node address '" + address + "' is not host:port"};
  auto host = address.substr(0, colon);
  int port = std::atoi(address.c_str() + colon + 1);
  if (port <= 0 || port > 65535)
    return error{errc::bad_argument, "node address '" + address + "' has no valid port"};
  auto node = nodes::remote_actor(sys, host, static_cast<uint16_t>(port), std::chrono::milliseconds(timeout_ms));
  if (node) return *node;
  if (node.error() == caf::sec::request_timeout)
    return error{errc::unreachable, "node " + address + " did not complete the handshake within "
                                      + std::to_string(timeout_ms) + " ms (is it a Weir node?)"};
  if (node.error() == caf::sec::no_actor_published_at_port)
    return error{errc::unreachable, "node " + address + " publishes no Weir node"};
  return error{errc::unreachable, "cannot reach node " + address + ": " + sys.render(node.error())};
}

bool runs_remotely(const detail::job_graph& g, const detail::physical_plan& plan, uint32_t task,
                   const std::vector<std::string>& remote_uids) {
  if (remote_uids.empty()) return true;
  for (int n : plan.chains[plan.tasks[task].chain].vertices)
    if (std::find(remote_uids.begin(), remote_uids.end(), g.vertices[n].uid) != remote_uids.end())
      return true;
  return false;
}

expected<runtime::placement> place(caf::actor_system& sys, const detail::job_graph& g,
                                   const detail::physical_plan& plan, const runtime_options& o) {
  runtime::placement where;
  if (o.nodes.empty()) return where;
  if (g.registered_job.empty())
    return error{errc::bad_argument, "running on nodes needs a job from the job registry "
                                     "(weir::register_job), so nodes can rebuild it"};
  for (const auto& uid : o.remote_uids) {
    bool known = std::any_of(g.vertices.begin(), g.vertices.end(), [&](const auto& n) { return n.uid == uid; });
    if (!known) return error{errc::bad_argument, "no operator '" + uid + "' to place on nodes"};
  }
  for (const auto& address : o.nodes) {
    auto node = connect(sys, address, o.node_connect_timeout_ms);
    if (!node) return node.error_value();
    where.nodes.push_back(*node);
    where.addresses.push_back(address);
  }
  where.job = g.registered_job;
  for (const auto& kv : g.job_args) {
    where.args.push_back(kv.first);
    where.args.push_back(kv.second);
  }
  size_t next = 0;
  for (uint32_t t = 0; t < plan.tasks.size(); ++t)
    where.node_of_task.push_back(runs_remotely(g, plan, t, o.remote_uids)
                                   ? static_cast<int>(next++ % where.nodes.size())
                                   : -1);
  return where;
}

/// The user's log, called one line at a time whichever thread says it (the
/// supervisor, the store, the SIGTERM watcher, this one).
std::function<void(const std::string&)> serialized(std::function<void(const std::string&)> log) {
  if (!log) return log;
  auto mutex = std::make_shared<std::mutex>();
  return [mutex, log = std::move(log)](const std::string& line) {
    std::lock_guard<std::mutex> guard(*mutex);
    log(line);
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
  auto log = dep->options.log = serialized(options_.log);
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
    nodes::load_bounded_middleman(cfg, {}, options_.nodes.empty() ? 0 : 1000, options_.node_silence_timeout_ms);
  }
  // Blocked before CAF starts its threads, so only the watcher takes SIGTERM.
  std::unique_ptr<nodes::sigterm_stop> on_sigterm;
  if (prepared && !options_.checkpoints.savepoint_on_stop.empty()) on_sigterm = std::make_unique<nodes::sigterm_stop>();
  caf::actor_system sys{cfg};
  auto where = place(sys, *graph_, dep->plan, options_);
  if (!where) {
    result.failure = where.error_value();
    return result;
  }
  runtime::supervision how;
  how.where = std::move(*where);
  if (prepared) {
    how.store = runtime::spawn_store_actor(sys, dep, prepared->store, prepared->record, prepared->savepoint);
    how.bad_checkpoints = prepared->skipped;
    how.next_checkpoint = prepared->next_checkpoint;
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
    if (log) log("job '" + graph_->name + "': " + said);
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
  control.reset(); // its files go before the job is reported ended
  if (on_sigterm) on_sigterm->stop(); // before the actor system it uses goes
  return result;
}

} // namespace weir
