#include "barrier_aligner.hpp"

#include <algorithm>

namespace weir::runtime {

void barrier_aligner::start(uint64_t id) {
  pending_ = id;
  std::fill(arrived_.begin(), arrived_.end(), false);
  arrived_count_ = 0;
}

barrier_aligner::result barrier_aligner::on_barrier(uint32_t ch, uint64_t id) {
  if (id <= finished_ || (pending_ != 0 && id < pending_)) return result::ignored;
  if (id > pending_) start(id); // abandons an older alignment: its checkpoint was aborted
  if (!arrived_[ch]) {
    arrived_[ch] = true;
    ++arrived_count_;
  }
  return complete() ? result::aligned : result::holding;
}

bool barrier_aligner::on_end(uint32_t ch) {
  if (ended_[ch]) return false;
  ended_[ch] = true;
  ++ended_count_;
  if (arrived_[ch] && pending_ != 0) --arrived_count_; // cannot happen while held; kept exact
  return pending_ != 0 && complete();
}

void barrier_aligner::finish(uint64_t id) {
  finished_ = std::max(finished_, id);
  if (pending_ != 0 && pending_ <= id) {
    pending_ = 0;
    std::fill(arrived_.begin(), arrived_.end(), false);
    arrived_count_ = 0;
  }
}

} // namespace weir::runtime
