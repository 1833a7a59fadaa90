#include "operator_chain.hpp"

#include "output_gate.hpp"

namespace weir::runtime {

operator_chain::operator_chain(const detail::job_graph& graph, const detail::physical_plan& plan,
                               uint32_t task, const context& ctx, output_gate& out,
                               detail::pause_signal& pause) {
  build(graph, plan, task, ctx, out, pause);
}

void operator_chain::build(const detail::job_graph& graph, const detail::physical_plan& plan,
                           uint32_t task, const context& ctx, output_gate& out,
                           detail::pause_signal& pause) {
  const auto& spec = plan.tasks[task];
  const auto& chain = plan.chains[spec.chain];
  detail::part_outputs outs{writers_for_port(graph, plan, task, 0, out),
                            writers_for_port(graph, plan, task, 1, out), {}};
  const auto& tail = graph.vertices[chain.vertices.back()];
  for (size_t i = 0; i < tail.tagged_outputs.size(); ++i)
    if (auto w = writers_for_port(graph, plan, task, detail::first_tag_port + static_cast<int>(i), out); w.ptr)
      outs.tagged.emplace_back(tail.tagged_outputs[i].tag, w);
  for (auto it = chain.vertices.rbegin(); it != chain.vertices.rend(); ++it) {
    const auto& v = graph.vertices[*it];
    auto info = plan.info(graph, v.id, spec.subtask);
    info.clock = ctx.clock;
    info.run_id = ctx.run_id;
    info.checkpointing = ctx.checkpointing;
    auto p = v.make_part(info, outs);
    p->bind_pause_signal(&pause);
    outs = {p->input(), {}};
    parts_.insert(parts_.begin(), p.get());
    infos_.insert(infos_.begin(), info);
    owned_.push_back(std::move(p));
  }
  const auto& head = graph.vertices[chain.vertices.front()];
  if (head.kind == detail::vertex_kind::source) {
    source_ = dynamic_cast<detail::source_part*>(parts_.front());
    return;
  }
  for (size_t i = 0; i < head.inputs.size(); ++i)
    readers_.push_back(head.inputs[i].make_reader(i == 0 ? outs.main : parts_.front()->input_at(i)));
}

// The collector the chain's last operator emits into on `port`: the writer of
// its one edge leaving there, a fan-out over several, or none.
detail::erased_collector operator_chain::writers_for_port(const detail::job_graph& graph,
                                                          const detail::physical_plan& plan,
                                                          uint32_t task, int port, output_gate& out) {
  const auto& spec = plan.tasks[task];
  const auto& last = graph.vertices[plan.chains[spec.chain].vertices.back()];
  auto last_info = plan.info(graph, last.id, spec.subtask);
  std::vector<detail::erased_collector> writers;
  for (size_t k = 0; k < spec.out_edges.size(); ++k) {
    const auto& edge = plan.edges[spec.out_edge_ids[k]];
    if (edge.port != port) continue;
    std::vector<detail::output_channel*> channels;
    for (uint32_t ch : spec.out_edges[k]) channels.push_back(out.channel(ch));
    const auto& input = graph.vertices[edge.consumer_vertex].inputs[edge.consumer_input];
    auto writer = input.make_writer(channels, edge.mode, last_info);
    writers.push_back(writer->input());
    owned_.push_back(std::move(writer));
  }
  if (writers.size() <= 1) return writers.empty() ? detail::erased_collector{} : writers.front();
  const auto& make_fanout = port == 0   ? last.make_fanout
                            : port == 1 ? last.make_side_fanout
                                        : last.tagged_outputs[static_cast<size_t>(port - detail::first_tag_port)].make_fanout;
  auto fanout = make_fanout(writers);
  auto input = fanout->input();
  owned_.push_back(std::move(fanout));
  return input;
}

operator_chain::~operator_chain() {
  for (auto* p : parts_) {
    try {
      p->close_functions();
    } catch (...) { // torn down: the failure that got us here is what is reported
    }
  }
}

void operator_chain::open() {
  for (size_t i = parts_.size(); i-- > 0;) {
    detail::guarded(infos_[i], [&] { parts_[i]->open_functions(infos_[i]); });
    parts_[i]->open();
  }
}

void operator_chain::close_functions() {
  std::exception_ptr first;
  for (size_t i = 0; i < parts_.size(); ++i) {
    try {
      detail::guarded(infos_[i], [&] { parts_[i]->close_functions(); });
    } catch (...) {
      if (!first) first = std::current_exception();
    }
  }
  if (first) std::rethrow_exception(first);
}

void operator_chain::end_of_input() {
  for (auto* p : parts_) p->end_of_input();
}

bool operator_chain::run_watermark(int64_t wm) {
  run_ = {run_kind::watermark, 0, wm};
  return resume();
}

bool operator_chain::run_processing_time(int64_t now) {
  run_ = {run_kind::processing_time, 0, now};
  return resume();
}

bool operator_chain::resume() {
  for (; run_.at < parts_.size(); ++run_.at) {
    auto* p = parts_[run_.at];
    if (run_.what == run_kind::watermark) {
      auto passed = p->on_watermark(run_.value);
      if (!passed) return false;
      run_.value = *passed;
    } else if (!p->on_processing_time(run_.value)) {
      return false;
    }
  }
  if (run_.what == run_kind::watermark) watermark_out_ = run_.value;
  run_.what = run_kind::none;
  return true;
}

void operator_chain::snapshot(uint64_t id, std::vector<detail::operator_snapshot>& out) {
  for (size_t i = 0; i < parts_.size(); ++i) {
    if (!parts_[i]->stateful()) continue;
    detail::operator_snapshot s;
    s.checkpoint = id;
    s.uid = infos_[i].uid;
    s.subtask = infos_[i].index;
    s.parallelism = infos_[i].parallelism;
    parts_[i]->snapshot(s);
    out.push_back(std::move(s));
  }
}

void operator_chain::checkpoint_complete(uint64_t id, bool final) {
  for (auto* p : parts_) p->on_checkpoint_complete(id, final);
}

void operator_chain::restore(const std::vector<detail::operator_snapshot>& in) {
  for (const auto& s : in) {
    size_t i = 0;
    while (i < parts_.size() && infos_[i].uid != s.uid) ++i;
    if (i == parts_.size())
      throw detail::state_error(errc::incompatible_state,
                                "state of operator '" + s.uid + "' reached a task that does not run it");
    parts_[i]->restore(s);
  }
}

int64_t operator_chain::next_processing_timer() const {
  int64_t next = INT64_MAX;
  for (auto* p : parts_) next = std::min(next, p->next_processing_timer());
  return next;
}

uint64_t operator_chain::late_records() const {
  uint64_t n = 0;
  for (auto* p : parts_) n += p->late_records();
  return n;
}

uint64_t operator_chain::records_written() const {
  uint64_t n = 0;
  for (auto* p : parts_) n += p->records_written();
  return n;
}

} // namespace weir::runtime
