#pragma once

/// \file The built-in sources behind environment::from_collection and
/// generate, and environment's source templates. Part of weir/stream.hpp: include that, not this.

#include <optional>

#include "weir/strided_lanes.hpp"
#include "weir/stream.hpp"

namespace weir {

namespace detail {

/// Emits the elements of a shared vector whose index % parallelism == subtask.
template <class T>
class collection_source final : public weir::strided_source_function<T> {
public:
  explicit collection_source(std::shared_ptr<const std::vector<T>> values)
    : values_(std::move(values)) {}
  source_status poll(emitter<T>& out, size_t max_records) override {
    bool more = this->lanes_.emit(values_->size(), max_records, [&](uint64_t n) { out.emit((*values_)[n]); });
    return more ? source_status::more : source_status::exhausted;
  }

private:
  std::shared_ptr<const std::vector<T>> values_;
};

template <class T, class F>
class generator_source final : public weir::strided_source_function<T> {
public:
  generator_source(uint64_t count, F fn) : count_(count), fn_(std::move(fn)) {}
  source_status poll(emitter<T>& out, size_t max_records) override {
    bool more = this->lanes_.emit(count_, max_records, [&](uint64_t n) { out.emit(fn_(n)); });
    return more ? source_status::more : source_status::exhausted;
  }

private:
  uint64_t count_;
  F fn_;
};

} // namespace detail

template <class T>
stream<T> environment::add_source(source_factory<T> factory, std::string name) {
  detail::vertex n;
  n.name = std::move(name);
  n.kind = detail::vertex_kind::source;
  n.make_part = [factory](const subtask_info& info, const detail::part_outputs& out) {
    return std::make_unique<detail::user_source_part<T>>(info, factory(), out.main.as<T>());
  };
  detail::set_output_fanout<T>(n);
  return stream<T>(this, detail::add_vertex(*graph_, std::move(n)));
}

template <class T>
stream<T> environment::from_collection(std::vector<T> values) {
  auto shared = std::make_shared<const std::vector<T>>(std::move(values));
  return add_source<T>(
    [shared] { return std::make_unique<detail::collection_source<T>>(shared); }, "collection");
}

template <class F>
auto environment::generate(uint64_t count, F fn) {
  static_assert(std::is_invocable_v<F&, uint64_t>,
                "weir: generate expects fn(uint64_t index) returning the record");
  using T = std::decay_t<std::invoke_result_t<F&, uint64_t>>;
  return add_source<T>(
    [count, fn] { return std::make_unique<detail::generator_source<T, F>>(count, fn); },
    "generator");
}

} // namespace weir
