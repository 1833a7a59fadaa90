#include <stdexcept>

#include "weir/stream.hpp"
#include "text_file_source.hpp"

namespace weir {

const char* to_string(partitioning p) noexcept {
  switch (p) {
    case partitioning::forward: return "forward";
    case partitioning::hash: return "hash";
    case partitioning::rebalance: return "rebalance";
    case partitioning::broadcast: return "broadcast";
  }
  return "unknown";
}

environment::environment() : graph_(std::make_shared<detail::job_graph>()) {}

environment& environment::set_parallelism(uint32_t p) {
  if (p == 0) throw std::invalid_argument("weir: parallelism must be at least 1");
  graph_->default_parallelism = p;
  return *this;
}

environment& environment::set_max_parallelism(uint32_t p) {
  if (p == 0) throw std::invalid_argument("weir: max parallelism must be at least 1");
  graph_->max_parallelism = p;
  return *this;
}

environment& environment::set_job_version(std::string version) {
  graph_->version = std::move(version);
  return *this;
}

environment& environment::set_chaining(bool on) {
  graph_->chaining = on;
  return *this;
}

stream<std::string> environment::read_text_file(std::string path) {
  return add_source<std::string>(
    [path] { return std::make_unique<detail::text_file_source>(path); }, "text_file");
}

namespace detail {

int add_vertex(job_graph& g, vertex n) {
  n.id = static_cast<int>(g.vertices.size());
  n.uid_generated = n.uid.empty();
  if (n.uid_generated) n.uid = n.name + "-" + std::to_string(n.id);
  for (size_t i = 0; i < n.inputs.size(); ++i)
    g.vertices[n.inputs[i].vertex].consumers.push_back({n.id, static_cast<int>(i)});
  g.vertices.push_back(std::move(n));
  return g.vertices.back().id;
}

} // namespace detail

sink_ref& sink_ref::uid(std::string id) {
  if (id.empty()) throw std::invalid_argument("weir: an operator uid is not empty");
  auto& v = env_->graph().vertices[vertex_];
  v.uid = std::move(id);
  v.uid_generated = false;
  return *this;
}

sink_ref& sink_ref::parallelism(uint32_t p) {
  env_->graph().vertices[vertex_].parallelism = p;
  return *this;
}

} // namespace weir
