#pragma once

/// \file The built-in sources behind environment::from_collection and
/// generate, and environment's source templates. Part of weir/stream.hpp: include that, not this.

#include <optional>

#include "weir/stream.hpp"

namespace weir {

namespace detail {

/// Emits the elements of a shared vector whose index % parallelism == subtask.
template <class T>
class collection_source final : public source_function<T> {
public:
  explicit collection_source(std::shared_ptr<const std::vector<T>> values)
    : values_(std::move(values)) {}
  void open(const subtask_info& info) override {
    next_ = restored_ ? *restored_ : info.index;
    step_ = info.parallelism;
  }
  source_status poll(emitter<T>& out, size_t max_records) override {
    for (size_t n = 0; n < max_records && next_ < values_->size(); ++n, next_ += step_)
      out.emit((*values_)[next_]);
    return next_ < values_->size() ? source_status::more : source_status::exhausted;
  }
  bool has_position() const override { return true; }
  void write_position(byte_writer& out) const override { codec<uint64_t>::encode(next_, out); }
  void read_position(byte_reader& in) override { restored_ = codec<uint64_t>::decode(in); }

private:
  std::shared_ptr<const std::vector<T>> values_;
  std::optional<uint64_t> restored_;
  uint64_t next_ = 0;
  uint64_t step_ = 1;
};

template <class T, class F>
class generator_source final : public source_function<T> {
public:
  generator_source(uint64_t count, F fn) : count_(count), fn_(std::move(fn)) {}
  void open(const subtask_info& info) override {
    next_ = restored_ ? *restored_ : info.index;
    step_ = info.parallelism;
  }
  source_status poll(emitter<T>& out, size_t max_records) override {
    for (size_t n = 0; n < max_records && next_ < count_; ++n, next_ += step_) out.emit(fn_(next_));
    return next_ < count_ ? source_status::more : source_status::exhausted;
  }
  bool has_position() const override { return true; }
  void write_position(byte_writer& out) const override { codec<uint64_t>::encode(next_, out); }
  void read_position(byte_reader& in) override { restored_ = codec<uint64_t>::decode(in); }

private:
  std::optional<uint64_t> restored_;
  uint64_t count_;
  F fn_;
  uint64_t next_ = 0;
  uint64_t step_ = 1;
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
