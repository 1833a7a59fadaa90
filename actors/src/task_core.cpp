#include "task_core.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace weir::runtime {

using detail::frame_view;

task_core::task_core(const detail::job_graph& graph, const detail::physical_plan& plan,
                     uint32_t task, const runtime_options& options, task_transport& transport)
  : options_(options), transport_(transport), name_(plan.task_name(graph, task)),
    watermarks_(plan.tasks[task].num_inputs),
    clock_(options.clock != nullptr ? options.clock : &system_clock::instance()) {
  const auto& spec = plan.tasks[task];
  outputs_.resize(spec.num_outputs);
  for (uint32_t ch = 0; ch < spec.num_outputs; ++ch)
    outputs_[ch].channel = std::make_unique<detail::output_channel>(
      *this, ch, std::max<size_t>(1, options.batch_size), options.max_batch_bytes);
  for (const auto& ch : plan.channels)
    if (ch.producer_task == task) outputs_[ch.out_channel].consumer_channel = ch.in_channel;
  inputs_.resize(spec.num_inputs);
  build_chain(graph, plan, task);
}

task_core::~task_core() = default;

void task_core::build_chain(const detail::job_graph& graph, const detail::physical_plan& plan,
                            uint32_t task) {
  const auto& spec = plan.tasks[task];
  const auto& chain = plan.chains[spec.chain];
  detail::part_outputs outs{writers_for_port(graph, plan, task, 0),
                            writers_for_port(graph, plan, task, 1)};
  for (auto it = chain.vertices.rbegin(); it != chain.vertices.rend(); ++it) {
    const auto& n = graph.vertices[*it];
    auto info = plan.info(graph, n.id, spec.subtask);
    info.clock = clock_;
    auto p = n.make_part(info, outs);
    outs = {p->input(), {}};
    chain_.insert(chain_.begin(), p.get());
    owned_parts_.push_back(std::move(p));
  }
  const auto& head = graph.vertices[chain.vertices.front()];
  if (head.kind == detail::vertex_kind::source) {
    source_ = dynamic_cast<detail::source_part*>(chain_.front());
    return;
  }
  for (size_t i = 0; i < head.inputs.size(); ++i)
    readers_.push_back(head.inputs[i].make_reader(i == 0 ? outs.main : chain_.front()->input2()));
  channel_input_ = spec.channel_input;
}

// The collector the chain's last operator emits into on `port`: the writer of
// its one edge leaving there, a fan-out over several, or none.
detail::erased_collector task_core::writers_for_port(const detail::job_graph& graph,
                                                     const detail::physical_plan& plan,
                                                     uint32_t task, int port) {
  const auto& spec = plan.tasks[task];
  const auto& last = graph.vertices[plan.chains[spec.chain].vertices.back()];
  auto last_info = plan.info(graph, last.id, spec.subtask);
  std::vector<detail::erased_collector> writers;
  for (size_t k = 0; k < spec.out_edges.size(); ++k) {
    const auto& edge = plan.edges[spec.out_edge_ids[k]];
    if (edge.port != port) continue;
    std::vector<detail::output_channel*> channels;
    for (uint32_t ch : spec.out_edges[k]) channels.push_back(outputs_[ch].channel.get());
    const auto& input = graph.vertices[edge.consumer_vertex].inputs[edge.consumer_input];
    auto writer = input.make_writer(channels, edge.mode, last_info);
    writers.push_back(writer->input());
    owned_parts_.push_back(std::move(writer));
  }
  if (writers.size() <= 1) return writers.empty() ? detail::erased_collector{} : writers.front();
  auto fanout = (port == 0 ? last.make_fanout : last.make_side_fanout)(writers);
  auto input = fanout->input();
  owned_parts_.push_back(std::move(fanout));
  return input;
}

// The one place where exceptions from operators, codecs and the frame
// protocol become errors that name this task.
template <class F>
error task_core::guard(F&& f) {
  try {
    f();
    arm_processing_timer();
    return {};
  } catch (const operator_failure& ex) {
    return {errc::operator_failed, ex.what()};
  } catch (const detail::record_error& ex) {
    return {errc::malformed_record, name_ + ": " + ex.what()};
  } catch (const std::exception& ex) {
    return {errc::operator_failed, name_ + ": " + ex.what()};
  }
}

error task_core::start() {
  return guard([&] {
    // Sinks open before sources so nothing is emitted into an unopened part.
    for (auto it = chain_.rbegin(); it != chain_.rend(); ++it) (*it)->open();
    started_ = true;
    for (uint32_t ch = 0; ch < inputs_.size(); ++ch) {
      inputs_[ch].outstanding_credit = options_.credit_window;
      transport_.grant_credit(ch, options_.credit_window);
    }
    if (source_ != nullptr)
      schedule_resume();
    else if (inputs_.empty())
      finish_input();
  });
}

error task_core::on_frame(uint32_t in_channel, std::vector<char> bytes) {
  if (auto err = accept_frame(in_channel, std::move(bytes))) return err;
  return guard([&] {
    if (!resume_pending_) run();
  });
}

error task_core::accept_frame(uint32_t in_channel, std::vector<char> bytes) {
  auto where = [&] { return name_ + " input " + std::to_string(in_channel) + ": "; };
  if (in_channel >= inputs_.size())
    return {errc::protocol, where() + "no such input channel (task has "
                              + std::to_string(inputs_.size()) + ")"};
  if (reinterpret_cast<uintptr_t>(bytes.data()) % 8 != 0) bytes = std::vector<char>(bytes);
  auto view = detail::decode_frame(bytes.data(), bytes.size());
  if (!view) return {errc::malformed_frame, where() + view.error_value().message()};
  auto& in = inputs_[in_channel];
  if (view->channel() != in_channel)
    return {errc::protocol, where() + "frame addressed to channel " + std::to_string(view->channel())};
  if (view->sequence() != in.expected_sequence)
    return {errc::protocol, where() + "expected frame " + std::to_string(in.expected_sequence)
                              + ", got " + std::to_string(view->sequence())};
  if (in.ended) return {errc::protocol, where() + "frame after end of input"};
  if (view->type() == frame_view::kind::end_of_input) in.ended = true;
  if (view->type() == frame_view::kind::data) {
    if (in.outstanding_credit == 0)
      return {errc::protocol, where() + "data frame sent without credit"};
    --in.outstanding_credit;
  }
  ++in.expected_sequence;
  queue_.push_back({std::move(bytes), *view, in_channel, 0});
  return {};
}

error task_core::on_credit(uint32_t out_channel, uint32_t frames) {
  if (out_channel >= outputs_.size())
    return {errc::protocol, name_ + ": credit for unknown output " + std::to_string(out_channel)};
  return guard([&] {
    outputs_[out_channel].credit += frames;
    try_send(out_channel);
    check_finished();
    if (started_ && blocked_ == 0 && !resume_pending_) run();
  });
}

error task_core::on_resume() {
  resume_pending_ = false;
  return guard([&] { run(); });
}

error task_core::on_flush_timer() {
  flush_armed_ = false;
  return guard([&] {
    bool left = false;
    for (uint32_t ch = 0; ch < outputs_.size(); ++ch) {
      auto& out = outputs_[ch];
      if (out.channel->builder().empty()) continue;
      if (out.pending.empty()) // a blocked channel keeps its partial batch: memory stays bounded
        seal(ch);
      else
        left = true;
    }
    if (left) arm_flush();
  });
}

error task_core::on_processing_timer() {
  timer_armed_at_ = INT64_MAX;
  // After end of input nothing may be emitted: what was due then has fired.
  if (input_done_) return {};
  return guard([&] {
    int64_t now = clock_->now_ms();
    for (auto* p : chain_) p->on_processing_time(now);
  });
}

// Asks for a timer message when the earliest processing-time timer of the
// chain is due, unless one is already pending for that time or earlier.
void task_core::arm_processing_timer() {
  if (input_done_) return;
  int64_t next = INT64_MAX;
  for (auto* p : chain_) next = std::min(next, p->next_processing_timer());
  if (next >= timer_armed_at_) return;
  timer_armed_at_ = next;
  // Computed without overflow for timers far in the past or future; a day at
  // most, after which the task simply re-arms.
  constexpr int64_t day_ms = 86400000;
  int64_t now = clock_->now_ms();
  uint64_t ahead = next <= now ? 0 : static_cast<uint64_t>(next) - static_cast<uint64_t>(now);
  auto delay = static_cast<int64_t>(std::min<uint64_t>(ahead, day_ms));
  transport_.schedule_timer(std::chrono::milliseconds(delay));
}

void task_core::schedule_resume() {
  if (resume_pending_) return;
  resume_pending_ = true;
  transport_.schedule_resume();
}

void task_core::run() {
  size_t budget = options_.records_per_turn;
  while (budget > 0 && blocked_ == 0 && !input_done_) {
    size_t used = source_ != nullptr ? poll_source(budget) : process_front(budget);
    if (used == 0) return; // nothing to do now: no input, or an idle source
    budget -= std::min(budget, used);
  }
  if (blocked_ > 0) {
    ++stats_.blocked_turns;
  } else if (!input_done_ && (source_ != nullptr || !queue_.empty())) {
    schedule_resume(); // budget used up: yield the thread, continue later
  }
}

// Returns the records asked for (the budget charged), or 0 when the source is idle.
size_t task_core::poll_source(size_t budget) {
  size_t ask = std::min(budget, std::max<size_t>(1, options_.batch_size));
  auto status = source_->poll(ask);
  if (status == source_status::exhausted) {
    finish_input();
  } else if (status == source_status::idle) {
    // Truly no input (a blocked source is never polled, so never idle): leave
    // the watermark to the other partitions until the next record.
    source_idle_ = true;
    advance_watermark();
    resume_pending_ = true;
    transport_.schedule_resume_after(std::chrono::milliseconds(options_.idle_poll_ms));
    return 0;
  } else {
    source_idle_ = false;
    advance_watermark();
  }
  return ask;
}

// Processes (part of) the oldest input frame; returns the records processed
// (a control frame counts as one, so it is charged to the budget).
size_t task_core::process_front(size_t budget) {
  if (queue_.empty()) return 0;
  auto& front = queue_.front();
  if (front.view.type() != frame_view::kind::data) {
    take_control_frame(front);
    queue_.pop_front();
    if (!input_done_) advance_watermark();
    return 1;
  }
  if (front.cursor == 0) watermarks_.on_record(front.channel);
  size_t end = std::min(front.view.size(), front.cursor + budget);
  size_t next = readers_[channel_input_[front.channel]]->read(front.view, front.cursor, end, blocked_);
  size_t done = next - front.cursor;
  stats_.records_in += done;
  front.cursor = next;
  if (next == front.view.size()) {
    uint32_t ch = front.channel;
    queue_.pop_front();
    ++inputs_[ch].outstanding_credit;
    transport_.grant_credit(ch, 1);
    advance_watermark();
  }
  return std::max<size_t>(done, 1);
}

void task_core::take_control_frame(const queued_frame& frame) {
  switch (frame.view.type()) {
    case frame_view::kind::watermark:
      watermarks_.on_watermark(frame.channel, frame.view.watermark());
      break;
    case frame_view::kind::idle:
      watermarks_.on_idle(frame.channel);
      break;
    case frame_view::kind::end_of_input:
      watermarks_.on_end(frame.channel);
      if (++inputs_ended_ == inputs_.size()) finish_input();
      break;
    case frame_view::kind::data:
      break;
  }
}

// Recomputes event time after input changed: runs the watermark through the
// chain (windows fire, assigners substitute their own) and tells consumers
// when it advanced, or that the task went idle.
void task_core::advance_watermark() {
  std::optional<int64_t> input = source_ != nullptr
                                   ? (source_idle_ ? std::nullopt : std::optional<int64_t>(INT64_MIN))
                                   : watermarks_.combined();
  if (!input) {
    if (source_ == nullptr) run_watermark(watermarks_.highest());
    if (!output_idle_) {
      // Sealing partial batches first marks the output active; idle comes after.
      broadcast_control([](uint32_t ch, uint64_t seq) { return detail::make_idle_frame(ch, seq); });
      output_idle_ = true;
    }
    return;
  }
  run_watermark(*input);
}

// Runs `input` through the chain and sends the result on if it advanced.
void task_core::run_watermark(int64_t input) {
  int64_t wm = input;
  for (auto* p : chain_) wm = p->on_watermark(wm);
  if (wm <= output_watermark_) return;
  output_watermark_ = wm;
  output_idle_ = false;
  broadcast_control([wm](uint32_t ch, uint64_t seq) { return detail::make_watermark_frame(ch, seq, wm); });
}

// Queues a control frame on every output, behind the records before it.
template <class Make>
void task_core::broadcast_control(Make&& make) {
  for (uint32_t ch = 0; ch < outputs_.size(); ++ch) {
    auto& out = outputs_[ch];
    if (!out.channel->builder().empty()) seal(ch);
    out.pending.push_back({make(out.consumer_channel, out.next_sequence++), true});
    try_send(ch);
  }
}

void task_core::finish_input() {
  input_done_ = true;
  // End of input is the end of event time: every window and timer fires. The
  // final watermark itself is not sent; end of input implies it downstream.
  int64_t wm = INT64_MAX;
  for (auto* p : chain_) wm = p->on_watermark(wm);
  for (auto* p : chain_) p->end_of_input();
  broadcast_control([](uint32_t ch, uint64_t seq) { return detail::make_end_of_input_frame(ch, seq); });
  check_finished();
}

void task_core::on_batch_full(detail::output_channel& ch) {
  seal(ch.index());
}

void task_core::on_batch_started(detail::output_channel&) {
  arm_flush();
}

void task_core::arm_flush() {
  if (flush_armed_) return;
  flush_armed_ = true;
  transport_.schedule_flush(std::chrono::milliseconds(options_.buffer_timeout_ms));
}

void task_core::seal(uint32_t ch) {
  auto& out = outputs_[ch];
  output_idle_ = false; // records make the channel active again downstream
  auto records = out.channel->builder().size();
  out.pending.push_back({out.channel->builder().seal(out.consumer_channel, out.next_sequence++), false});
  stats_.records_out += records;
  try_send(ch);
}

void task_core::try_send(uint32_t ch) {
  auto& out = outputs_[ch];
  while (!out.pending.empty() && (out.pending.front().control || out.credit > 0)) {
    if (!out.pending.front().control) --out.credit;
    transport_.send_frame(ch, std::move(out.pending.front().bytes));
    out.pending.pop_front();
  }
  bool now_blocked = !out.pending.empty();
  if (now_blocked != out.blocked) {
    out.blocked = now_blocked;
    blocked_ += now_blocked ? 1 : -1;
  }
}

void task_core::check_finished() {
  if (finished_ || !input_done_ || blocked_ > 0) return;
  finished_ = true;
  for (auto* p : chain_) {
    stats_.sink_records += p->records_written();
    stats_.late_records += p->late_records();
  }
  if (source_ != nullptr) stats_.source_records = source_->records_emitted();
  transport_.finished(stats_);
}

} // namespace weir::runtime
