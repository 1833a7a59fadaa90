#include "input_gate.hpp"

namespace weir::runtime {

input_gate::input_gate(std::string name, uint32_t channels, uint32_t max_control)
  : name_(std::move(name)), channels_(channels), max_control_(max_control) {}

std::string input_gate::where(uint32_t ch) const {
  return name_ + " input " + std::to_string(ch) + ": ";
}

error input_gate::check(uint32_t ch, const detail::frame_view& view) const {
  const auto& c = channels_[ch];
  if (view.channel() != ch)
    return {errc::protocol, where(ch) + "frame addressed to channel " + std::to_string(view.channel())};
  if (view.sequence() != c.expected_sequence)
    return {errc::protocol, where(ch) + "expected frame " + std::to_string(c.expected_sequence)
                              + ", got " + std::to_string(view.sequence())};
  if (c.ended) return {errc::protocol, where(ch) + "frame after end of input"};
  if (view.type() == kind::data && c.credit == 0)
    return {errc::protocol, where(ch) + "data frame sent without credit"};
  if (view.type() != kind::data && c.control >= max_control_)
    return {errc::protocol, where(ch) + "more than " + std::to_string(max_control_)
                              + " control frames queued"};
  return {};
}

error input_gate::accept(uint32_t ch, std::vector<char> bytes) {
  if (ch >= channels_.size())
    return {errc::protocol, where(ch) + "no such input channel (task has "
                              + std::to_string(channels_.size()) + ")"};
  if (reinterpret_cast<uintptr_t>(bytes.data()) % 8 != 0) bytes = std::vector<char>(bytes);
  auto view = detail::decode_frame(bytes.data(), bytes.size());
  if (!view) return {errc::malformed_frame, where(ch) + view.error_value().message()};
  if (auto err = check(ch, *view)) return err;
  auto& c = channels_[ch];
  ++c.expected_sequence;
  entry e;
  e.type = view->type();
  e.arrival = arrivals_++;
  switch (e.type) {
    case kind::data:
      --c.credit;
      e.bytes = std::move(bytes);
      e.view = *view;
      c.queue.push_back(std::move(e));
      return {};
    case kind::end_of_input:
      c.ended = true;
      break;
    case kind::watermark:
      e.watermark = view->watermark();
      break;
    case kind::barrier:
      e.checkpoint = view->checkpoint();
      e.savepoint = view->savepoint();
      break;
    case kind::idle:
      break;
  }
  queue_control(c, std::move(e));
  return {};
}

// A run of watermark and idle frames only says where event time ends up:
// the last watermark, and whether the channel is idle after it. So the run
// keeps at most [watermark, idle]; a watermark after an idle frame makes the
// channel active again, which the watermark alone also does.
void input_gate::queue_control(channel& c, entry e) {
  auto is_time = [](const entry& x) { return x.type == kind::watermark || x.type == kind::idle; };
  // Control entries are taken whole, so a queued one is never half processed.
  if (e.type == kind::watermark) {
    while (!c.queue.empty() && c.queue.back().type == kind::idle) c.queue.pop_back();
    if (!c.queue.empty() && c.queue.back().type == kind::watermark) {
      c.queue.back().watermark = std::max(c.queue.back().watermark, e.watermark);
      return;
    }
  } else if (e.type == kind::idle) {
    if (!c.queue.empty() && c.queue.back().type == kind::idle) return;
  }
  if (!is_time(e)) ++c.control;
  c.queue.push_back(std::move(e));
}

void input_gate::pop(uint32_t ch) {
  auto& c = channels_[ch];
  auto t = c.queue.front().type;
  if (t == kind::barrier || t == kind::end_of_input) --c.control;
  c.queue.pop_front();
}

std::optional<uint32_t> input_gate::next() const {
  std::optional<uint32_t> best;
  uint64_t oldest = UINT64_MAX;
  for (uint32_t ch = 0; ch < channels_.size(); ++ch) {
    const auto& c = channels_[ch];
    if (c.held || c.queue.empty() || c.queue.front().arrival >= oldest) continue;
    oldest = c.queue.front().arrival;
    best = ch;
  }
  return best;
}

size_t input_gate::queued() const noexcept {
  size_t n = 0;
  for (const auto& c : channels_) n += c.queue.size();
  return n;
}

} // namespace weir::runtime
