#include "output_gate.hpp"

#include <algorithm>

#include "task_core.hpp"

namespace weir::runtime {

output_gate::output_gate(const detail::physical_plan& plan, uint32_t task,
                         const runtime_options& options, task_transport& transport)
  : transport_(transport), buffer_timeout_(options.buffer_timeout_ms) {
  outputs_.resize(plan.tasks[task].num_outputs);
  for (uint32_t ch = 0; ch < outputs_.size(); ++ch)
    outputs_[ch].batch = std::make_unique<detail::output_channel>(
      *this, ch, std::max<size_t>(1, options.batch_size), options.max_batch_bytes);
  for (const auto& spec : plan.channels)
    if (spec.producer_task == task) outputs_[spec.out_channel].consumer_channel = spec.in_channel;
}

void output_gate::on_credit(uint32_t ch, uint32_t frames) {
  outputs_[ch].credit += frames;
  try_send(ch);
}

void output_gate::on_flush_timer() {
  flush_armed_ = false;
  bool left = false;
  for (uint32_t ch = 0; ch < outputs_.size(); ++ch) {
    auto& out = outputs_[ch];
    if (out.batch->builder().empty()) continue;
    if (out.pending.empty())
      seal(ch);
    else
      left = true;
  }
  if (left) arm_flush();
}

uint64_t output_gate::credits() const noexcept {
  uint64_t sum = 0;
  for (const auto& o : outputs_) sum += o.credit;
  return sum;
}

size_t output_gate::pending_frames() const noexcept {
  size_t n = 0;
  for (const auto& out : outputs_) n += out.pending.size();
  return n;
}

void output_gate::on_batch_full(detail::output_channel& ch) {
  seal(ch.index());
}

void output_gate::on_batch_started(detail::output_channel&) {
  arm_flush();
}

void output_gate::arm_flush() {
  if (flush_armed_) return;
  flush_armed_ = true;
  transport_.schedule_flush(buffer_timeout_);
}

void output_gate::seal(uint32_t ch) {
  auto& out = outputs_[ch];
  idle_ = false; // records make the channel active again downstream
  records_out_ += out.batch->builder().size();
  out.pending.push_back({out.batch->builder().seal(out.consumer_channel, out.next_sequence++), false});
  try_send(ch);
}

void output_gate::try_send(uint32_t ch) {
  auto& out = outputs_[ch];
  while (!out.pending.empty() && (out.pending.front().control || out.credit > 0)) {
    if (!out.pending.front().control) --out.credit;
    if (out.pending.front().barrier) --unsent_barriers_;
    transport_.send_frame(ch, std::move(out.pending.front().bytes));
    out.pending.pop_front();
  }
  bool now_blocked = !out.pending.empty();
  if (now_blocked != out.blocked) {
    out.blocked = now_blocked;
    blocked_ += now_blocked ? 1 : -1;
  }
}

} // namespace weir::runtime
