#include "weir/job_registry.hpp"

#include <mutex>

#include "weir/stream.hpp"

namespace weir {

namespace {

struct registry {
  std::mutex mutex;
  std::map<std::string, job_builder> jobs;
  std::map<std::string, job_info> infos;
};

registry& the_registry() {
  static registry r;
  return r;
}

} // namespace

void register_job(const std::string& name, job_builder builder) {
  auto& r = the_registry();
  std::lock_guard<std::mutex> guard(r.mutex);
  r.jobs[name] = std::move(builder);
  r.infos.emplace(name, job_info{}); // a job registered again keeps what it said of itself
}

void register_job(const std::string& name, job_builder builder, job_info info) {
  auto& r = the_registry();
  std::lock_guard<std::mutex> guard(r.mutex);
  r.jobs[name] = std::move(builder);
  r.infos[name] = std::move(info);
}

expected<job_info> find_job_info(const std::string& name) {
  auto& r = the_registry();
  std::lock_guard<std::mutex> guard(r.mutex);
  auto it = r.infos.find(name);
  if (it == r.infos.end()) return error{errc::unknown_job, "no job named '" + name + "' in this binary"};
  return it->second;
}

expected<job_builder> find_job(const std::string& name) {
  auto& r = the_registry();
  std::lock_guard<std::mutex> guard(r.mutex);
  auto it = r.jobs.find(name);
  if (it == r.jobs.end()) return error{errc::unknown_job, "no job named '" + name + "' in this binary"};
  return it->second;
}

std::vector<std::string> registered_jobs() {
  auto& r = the_registry();
  std::lock_guard<std::mutex> guard(r.mutex);
  std::vector<std::string> names;
  for (auto& kv : r.jobs) names.push_back(kv.first);
  return names;
}

error build_registered_job(environment& env, const std::string& name, const job_args& args) {
  auto builder = find_job(name);
  if (!builder) return builder.error_value();
  try {
    if (auto err = (*builder)(env, args)) return err;
  } catch (const std::exception& e) { // a builder's bug or a missing argument: an error, not an abort
    return {errc::bad_argument, "job '" + name + "': " + e.what()};
  }
  env.graph().registered_job = name;
  env.graph().job_args = args;
  return {};
}

} // namespace weir
