#pragma once

#include <memory>

#include "nexmark/generator.hpp"
#include "weir/functions.hpp"
#include "weir/strided_lanes.hpp"

namespace weir::nexmark {

/// Throws: a restored position that is not one of the subtask's numbers.
[[noreturn]] void refuse_position(uint64_t position, uint32_t subtask, uint64_t parallelism);

/// The share of events 0 .. count-1 one source subtask emits: subtask i of p
/// takes the numbers n with n % p == i, so every subtask's event time
/// advances at the same pace. Its position is the next event number, so a
/// restore continues exactly there; another subtask's position is refused.
/// Subclasses say how to emit event n in poll() through emit_share(). T is
/// the record type (an event struct, or a Cap'n Proto event record).
template <class T>
class strided_source : public strided_source_function<T> {
public:
  void open(const subtask_info& info) override {
    if (!this->lanes_.open(info)) refuse_position(this->lanes_.lanes().front().first, info.index, info.parallelism);
  }

protected:
  explicit strided_source(uint64_t count) : count_(count) {}

  /// Calls emit(n) for up to `max_records` of this subtask's next numbers.
  template <class Emit>
  source_status emit_share(size_t max_records, Emit&& emit) {
    return this->lanes_.emit(count_, max_records, emit) ? source_status::more : source_status::exhausted;
  }

private:
  uint64_t count_;
};

using strided_event_source = strided_source<event>;

/// Generates its share of `events` events, each stamped with its event time.
class generator_source final : public strided_event_source {
public:
  generator_source(std::shared_ptr<const generator> gen, uint64_t events)
    : strided_event_source(events), gen_(std::move(gen)) {}

  source_status poll(emitter<event>& out, size_t max_records) override {
    return emit_share(max_records, [&](uint64_t n) {
      out.set_timestamp(gen_->time_of(n));
      out.emit(gen_->at(n, reuse_));
    });
  }

private:
  std::shared_ptr<const generator> gen_;
  std::array<event, 3> reuse_ = reusable_events(); // generated into, so strings keep their memory
};

} // namespace weir::nexmark
