#include "nexmark/generator_source.hpp"

#include <stdexcept>

namespace weir::nexmark {

void strided_event_source::open(const subtask_info& info) {
  step_ = info.parallelism;
  if (!restored_) next_ = info.index;
  else if (next_ % step_ != info.index)
    throw std::runtime_error("restored position " + std::to_string(next_) + " is not one of subtask "
                             + std::to_string(info.index) + "'s event numbers (parallelism "
                             + std::to_string(step_) + ")");
}

void strided_event_source::write_position(byte_writer& out) const {
  codec<uint64_t>::encode(next_, out);
}

void strided_event_source::read_position(byte_reader& in) {
  next_ = codec<uint64_t>::decode(in);
  restored_ = true;
}

} // namespace weir::nexmark
