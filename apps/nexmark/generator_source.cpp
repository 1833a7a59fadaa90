#include "nexmark/generator_source.hpp"

#include <stdexcept>

namespace weir::nexmark {

void refuse_position(uint64_t position, uint32_t subtask, uint64_t parallelism) {
  throw std::runtime_error("restored position " + std::to_string(position) + " is not one of subtask "
                           + std::to_string(subtask) + "'s event numbers (parallelism "
                           + std::to_string(parallelism) + ")");
}

} // namespace weir::nexmark
