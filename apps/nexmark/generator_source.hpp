#pragma once

#include <memory>

#include "nexmark/generator.hpp"
#include "weir/functions.hpp"

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
class strided_source : public source_function<T> {
public:
  void open(const subtask_info& info) override {
    step_ = info.parallelism;
    if (!restored_) next_ = info.index;
    else if (next_ % step_ != info.index) refuse_position(next_, info.index, step_);
  }
  bool has_position() const override { return true; }
  void write_position(byte_writer& out) const override { codec<uint64_t>::encode(next_, out); }
  void read_position(byte_reader& in) override {
    next_ = codec<uint64_t>::decode(in);
    restored_ = true;
  }

protected:
  explicit strided_source(uint64_t count) : count_(count) {}

  /// Calls emit(n) for up to `max_records` of this subtask's next numbers.
  template <class Emit>
  source_status emit_share(size_t max_records, Emit&& emit) {
    for (size_t i = 0; i < max_records && next_ < count_; ++i, next_ += step_) emit(next_);
    return next_ < count_ ? source_status::more : source_status::exhausted;
  }

private:
  uint64_t count_;
  uint64_t step_ = 1;
  uint64_t next_ = 0;
  bool restored_ = false;
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
