#include "node_actor.hpp"

#include <map>
#include <memory>

#include "messages.hpp"
#include "task_actor.hpp"
#include "weir/job_registry.hpp"
#include "weir/stream.hpp"

namespace weir::nodes {

namespace {

using runtime::deploy_request;
using runtime::deployment;

struct node_state {
  // Deployments by job and arguments: tasks of one run share one rebuilt graph.
  std::map<std::vector<std::string>, std::shared_ptr<const deployment>> deployments;
  const char* name = "weir.node";
};
using node_actor = caf::stateful_actor<node_state>;

expected<std::shared_ptr<const deployment>> rebuild(const deploy_request& req) {
  job_args args;
  for (size_t i = 0; i + 1 < req.args.size(); i += 2) args[req.args[i]] = req.args[i + 1];
  environment env;
  env.options() = runtime::from_wire(req.options);
  if (auto err = build_registered_job(env, req.job, args)) return err;
  auto plan = detail::make_plan(env.graph());
  if (!plan) return plan.error_value();
  auto dep = std::make_shared<deployment>();
  dep->graph = std::make_shared<const detail::job_graph>(env.graph());
  dep->plan = std::move(*plan);
  dep->options = env.options();
  return std::shared_ptr<const deployment>(std::move(dep));
}

caf::behavior node_behavior(node_actor* self) {
  return {
    [self](runtime::deploy_atom, deploy_request& req,
           caf::actor& supervisor) -> caf::result<caf::actor> {
      auto key = req.args;
      key.push_back(req.job);
      auto& slot = self->state.deployments[key];
      if (!slot) {
        auto dep = rebuild(req);
        if (!dep)
          return caf::make_error(caf::sec::runtime_error, dep.error_value().to_string());
        slot = *dep;
      }
      if (req.task >= slot->plan.tasks.size())
        return caf::make_error(caf::sec::runtime_error,
                               "job '" + req.job + "' has no task " + std::to_string(req.task));
      return runtime::spawn_task(self->system(), slot, req.task, supervisor);
    },
  };
}

} // namespace

caf::actor spawn_node_actor(caf::actor_system& sys) {
  return sys.spawn(node_behavior);
}

} // namespace weir::nodes
