#include "node_actor.hpp"

#include <caf/io/middleman.hpp>
#include <caf/io/middleman_actor.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>

#include "bounded_middleman.hpp"
#include "messages.hpp"
#include "run_recovery.hpp"
#include "task_actor.hpp"
#include "weir/job_registry.hpp"
#include "weir/node.hpp"
#include "weir/stream.hpp"

namespace weir::nodes {

namespace {

using runtime::deploy_request;
using runtime::deployment;

struct node_state {
  // Deployments by job and arguments: tasks of one run share one rebuilt graph.
  // Weak: the tasks own it, so it is freed when the run's last task ends.
  std::map<std::vector<std::string>, std::weak_ptr<const deployment>> deployments;
  const char* name = "weir.node";
};
using node_actor = caf::stateful_actor<node_state>;

/// Whether `path` (resolved through the symlinks that exist) lies in `dir`.
bool inside(const std::filesystem::path& path, const std::string& dir) {
  std::error_code ec;
  auto p = std::filesystem::weakly_canonical(path, ec);
  auto d = std::filesystem::weakly_canonical(dir, ec);
  auto [end, rest] = std::mismatch(d.begin(), d.end(), p.begin(), p.end());
  (void)rest;
  return end == d.end();
}

/// A relative path would resolve in this node's working directory, not the
/// coordinator's: the arguments that name files must be absolute here, and
/// within `allowed` when the node was given directories.
error check_paths(const job_args& args, const std::vector<std::string>& allowed) {
  for (const char* key : {"input", "output", "side-input"}) {
    auto it = args.find(key);
    if (it == args.end() || it->second.empty()) continue;
    std::filesystem::path path(it->second);
    std::error_code ec;
    if (!path.is_absolute())
      return {errc::bad_argument,
              "job argument '" + std::string(key) + "' is the relative path '" + it->second
                  + "', which this node would resolve in its own working directory ('"
                  + std::filesystem::current_path(ec).string() + "'): give an absolute path"};
    if (allowed.empty()
        || std::any_of(allowed.begin(), allowed.end(), [&](auto& d) { return inside(path, d); }))
      continue;
    std::string dirs;
    for (const auto& d : allowed)
      dirs += (dirs.empty() ? "" : ", ") + d;
    return {errc::bad_argument, "job argument '" + std::string(key) + "' is '" + it->second
                                    + "', outside the directories this node allows (--allowed-dirs "
                                    + dirs + ")"};
  }
  return {};
}

expected<std::shared_ptr<const deployment>> rebuild(const deploy_request& req,
                                                    const node_settings& settings) {
  job_args args;
  for (size_t i = 0; i + 1 < req.args.size(); i += 2)
    args[req.args[i]] = req.args[i + 1];
  if (auto err = check_paths(args, settings.allowed_dirs)) return err;
  environment env;
  env.options() = runtime::from_wire(req.options);
  if (auto err = build_registered_job(env, req.job, args)) return err;
  // Settings the coordinator made around the builder must hold here too.
  env.set_chaining(req.chaining);
  if (req.max_parallelism > 0) env.set_max_parallelism(req.max_parallelism);
  if (req.default_parallelism > 0) env.set_parallelism(req.default_parallelism);
  auto plan = detail::make_plan(env.graph());
  if (!plan) return plan.error_value();
  auto dep = std::make_shared<deployment>();
  dep->graph = std::make_shared<const detail::job_graph>(env.graph());
  dep->plan = std::move(*plan);
  dep->options = env.options();
  dep->run_id = req.run_id;
  dep->checkpointing = req.checkpointing;
  return std::shared_ptr<const deployment>(std::move(dep));
}

using clock = std::chrono::steady_clock;

void tell(const node_settings& settings, log_level level, const std::string& job,
          const std::string& task, std::string what) {
  settings.log({level, job, task, std::move(what), wall_clock_ms()});
}

/// Connects to the node at `address` through the middleman actor without
/// blocking this actor, retrying when CAF's heartbeat tick closed the
/// connection before its handshake; `done` gets no error once connected.
void connect_peer(node_actor* self, const std::string& address, clock::time_point deadline,
                  std::function<void(const caf::error&)> done) {
  auto parsed = parse_node_address(address);
  if (!parsed)
    return done(caf::make_error(caf::sec::runtime_error, parsed.error_value().message()));
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
  if (left.count() <= 0) return done(caf::make_error(caf::sec::request_timeout));
  self->request(connector(self->system()), left, caf::connect_atom::value, parsed->first,
                parsed->second)
      .then([done](const caf::node_id&, caf::strong_actor_ptr&,
                   const std::set<std::string>&) { done({}); },
            [self, address, deadline, done](caf::error& err) {
              if (err == caf::sec::connection_timeout)
                return connect_peer(self, address, deadline, done);
              done(err);
            });
}

// `name` also keeps CAF 0.17's spawn off its no-argument path, which binds a
// reference to a null shared_ptr (undefined behaviour that UBSan reports).
caf::behavior node_behavior(node_actor* self, node_settings settings) {
  auto name = settings.name;
  return {
      [name, settings](runtime::join_atom, deploy_request& req) -> caf::result<runtime::node_info> {
        auto dep = rebuild(req, settings);
        if (!dep) {
          tell(settings, log_level::warn, req.job, "",
               "refused to join: " + dep.error_value().to_string());
          return caf::make_error(caf::sec::runtime_error,
                                 name + ": " + dep.error_value().to_string());
        }
        tell(settings, log_level::info, req.job, "",
             "a coordinator joined, " + std::to_string(settings.slots) + " slot(s) offered");
        return runtime::node_info{runtime::weir_version(),
                                  runtime::build_fingerprint(*(*dep)->graph, (*dep)->plan),
                                  settings.slots, settings.max_message_bytes};
      },
      // What the node has read from the network so far (weir::job_result::bytes_read_by_nodes).
      [self](runtime::status_atom) -> uint64_t { return bytes_received(self->system()); },
      // Connects this node to other nodes of a job, so BASP routes the
      // frames between their tasks directly rather than through the coordinator.
      [self, name, settings](runtime::peers_atom, std::vector<std::string>& peers,
                             uint32_t timeout_ms) -> caf::result<bool> {
        if (peers.empty()) return true;
        auto rp = self->make_response_promise<bool>();
        auto pending = std::make_shared<size_t>(peers.size());
        auto deadline = clock::now() + std::chrono::milliseconds(timeout_ms);
        for (const auto& peer : peers)
          connect_peer(self, peer, deadline,
                       [self, rp, pending, peer, name, settings](const caf::error& err) mutable {
                         if (*pending == 0) return; // answered already (an earlier peer failed)
                         if (err) {
                           *pending = 0;
                           auto why =
                               "cannot connect to node " + peer + ": " + self->system().render(err);
                           tell(settings, log_level::warn, "", "", why);
                           rp.deliver(caf::make_error(caf::sec::runtime_error, name + " " + why));
                           return;
                         }
                         tell(settings, log_level::debug, "", "", "connected to node " + peer);
                         if (--*pending == 0) rp.deliver(true);
                       });
        return rp;
      },
      [self, name, settings](runtime::deploy_atom, deploy_request& req,
                             caf::actor& supervisor) -> caf::result<caf::actor> {
        auto& known = self->state.deployments;
        for (auto it = known.begin(); it != known.end();)
          it = it->second.expired() ? known.erase(it) : std::next(it);
        auto key = req.args;
        key.push_back(req.job);
        // Runs differing only in runtime options or graph settings must not share a deployment.
        for (auto v :
             {req.options.batch_size, req.options.max_batch_bytes, req.options.max_message_bytes,
              uint64_t{req.options.credit_window}, uint64_t{req.options.buffer_timeout_ms},
              req.options.records_per_turn, uint64_t{req.options.idle_poll_ms},
              uint64_t{req.chaining}, uint64_t{req.max_parallelism},
              uint64_t{req.default_parallelism}, req.run_id, uint64_t{req.checkpointing}})
          key.push_back(std::to_string(v));
        auto slot = known[key].lock();
        if (!slot) {
          auto dep = rebuild(req, settings);
          if (!dep) {
            tell(settings, log_level::warn, req.job, req.task_name,
                 "refused to deploy: " + dep.error_value().to_string());
            return caf::make_error(caf::sec::runtime_error,
                                   name + ": " + dep.error_value().to_string());
          }
          slot = *dep;
          known[key] = slot;
        }
        if (req.task >= slot->plan.tasks.size())
          return caf::make_error(caf::sec::runtime_error, name + ": job '" + req.job
                                                              + "' has no task "
                                                              + std::to_string(req.task));
        auto here = slot->plan.task_name(*slot->graph, req.task);
        if (here != req.task_name) {
          auto why = "built a different plan than the coordinator: task " + std::to_string(req.task)
                     + " is " + here + " here but " + req.task_name + " there";
          tell(settings, log_level::warn, req.job, req.task_name, "refused to deploy: " + why);
          return caf::make_error(caf::sec::runtime_error, name + ": " + why);
        }
        tell(settings, log_level::debug, req.job, req.task_name, "deployed");
        return runtime::spawn_task(self->system(), slot, req.task, supervisor);
      },
  };
}

} // namespace

caf::actor spawn_node_actor(caf::actor_system& sys, node_settings settings) {
  return sys.spawn(node_behavior, std::move(settings));
}

} // namespace weir::nodes
