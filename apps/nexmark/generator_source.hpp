#pragma once

#include <memory>

#include "nexmark/generator.hpp"
#include "weir/functions.hpp"

namespace weir::nexmark {

/// Generates events 0 .. events-1, subtask i of p taking the numbers n with
/// n % p == i, so every subtask's event time advances at the same pace. Each
/// record carries its event time as its timestamp. Its position is the next
/// event number, so a restore continues exactly there.
class generator_source final : public source_function<event> {
public:
  generator_source(std::shared_ptr<const generator> gen, uint64_t events)
    : gen_(std::move(gen)), events_(events) {}

  void open(const subtask_info& info) override;
  source_status poll(emitter<event>& out, size_t max_records) override;

  bool has_position() const override { return true; }
  void write_position(byte_writer& out) const override;
  void read_position(byte_reader& in) override;

private:
  std::shared_ptr<const generator> gen_;
  uint64_t events_;
  std::array<event, 3> reuse_ = reusable_events(); // generated into, so strings keep their memory
  uint64_t step_ = 1;
  uint64_t next_ = 0;
  bool restored_ = false;
};

} // namespace weir::nexmark
