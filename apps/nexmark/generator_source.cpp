#include "nexmark/generator_source.hpp"

#include <stdexcept>

namespace weir::nexmark {

void generator_source::open(const subtask_info& info) {
  step_ = info.parallelism;
  if (!restored_) next_ = info.index;
  else if (next_ % step_ != info.index)
    throw std::runtime_error("restored position " + std::to_string(next_) + " is not one of subtask "
                             + std::to_string(info.index) + "'s event numbers (parallelism "
                             + std::to_string(step_) + ")");
}

source_status generator_source::poll(emitter<event>& out, size_t max_records) {
  for (size_t i = 0; i < max_records && next_ < events_; ++i, next_ += step_) {
    out.set_timestamp(gen_->time_of(next_));
    out.emit(gen_->at(next_, reuse_));
  }
  return next_ < events_ ? source_status::more : source_status::exhausted;
}

void generator_source::write_position(byte_writer& out) const {
  codec<uint64_t>::encode(next_, out);
}

void generator_source::read_position(byte_reader& in) {
  next_ = codec<uint64_t>::decode(in);
  restored_ = true;
}

} // namespace weir::nexmark
