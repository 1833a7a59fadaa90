#pragma once

/// \file
/// Count windows: keyed_stream::count_window(size[, slide]) then reduce,
/// aggregate or process. Part of weir/stream.hpp: include that, not this.

#include <cstdint>
#include <stdexcept>
#include <utility>
#include <vector>

#include "weir/stream.hpp"

namespace weir {

namespace detail {

/// A tumbling count window's keyed state: its accumulator and how many
/// records it holds.
template <class ACC>
struct count_acc_state {
  value_state<ACC> acc;
  value_state<uint64_t> count;
  void fields(state_fields& f) { f("acc", acc)("count", count); }
};

/// A sliding count window's keyed state: the last `size` records and how
/// many arrived since it last fired.
template <class T>
struct count_buffer_state {
  list_state<T> records;
  value_state<uint64_t> since;
  void fields(state_fields& f) { f("records", records)("since", since); }
};

/// A sliding count window's keyed process function: keeps the key's last
/// `size` records and calls the user's fn(key, records, out) every `slide`.
template <class T, class K, class Out, class F>
struct sliding_count_function : holds_function<F> {
  using state = count_buffer_state<T>;
  uint64_t size;
  uint64_t slide;
  void operator()(const T& v, state& s, keyed_context<K>& ctx, emitter<Out>& out) {
    auto records = s.records.get();
    records.push_back(v);
    if (records.size() > size) records.erase(records.begin());
    uint64_t since = s.since.value_or(0) + 1;
    if (since == slide) {
      this->fn(ctx.key(), records, out);
      since = 0;
      if (slide == size) {
        ctx.clear_state(); // tumbling: the window is done
        return;
      }
    }
    s.records.update(std::move(records));
    s.since.update(since);
  }
};

/// A tumbling count window's keyed process function: folds records into an
/// accumulator with `ops` (create(v), add(acc, v), result(acc)) and emits
/// the result with every `size` records.
template <class T, class K, class Out, class ACC, class Ops>
struct tumbling_count_function : holds_function<Ops> {
  using state = count_acc_state<ACC>;
  uint64_t size;
  void operator()(const T& v, state& s, keyed_context<K>& ctx, emitter<Out>& out) {
    uint64_t n = s.count.value_or(0) + 1;
    if (n == 1) {
      s.acc.update(this->fn.create(v));
    } else {
      ACC acc = s.acc.value();
      this->fn.add(acc, v);
      s.acc.update(std::move(acc));
    }
    if (n < size) {
      s.count.update(n);
      return;
    }
    out.emit(this->fn.result(s.acc.value()));
    ctx.clear_state();
  }
};

/// A reduce function as a tumbling count window's ops.
template <class T, class F>
struct reduce_ops : holds_function<F> {
  T create(const T& v) { return v; }
  void add(T& acc, const T& v) { acc = this->fn(acc, v); }
  T result(const T& acc) { return acc; }
};

/// An aggregate function as a tumbling count window's ops.
template <class T, class Agg>
struct aggregate_ops : holds_function<Agg> {
  auto create(const T& v) { return this->fn.add(v, this->fn.create_accumulator()); }
  template <class ACC>
  void add(ACC& acc, const T& v) { acc = this->fn.add(v, std::move(acc)); }
  template <class ACC>
  auto result(const ACC& acc) { return this->fn.get_result(acc); }
};

/// A reduce function over a sliding count window's records.
template <class T, class F>
struct reduce_records : holds_function<F> {
  template <class K>
  void operator()(const K&, const std::vector<T>& records, emitter<T>& out) {
    T acc = records.front();
    for (size_t i = 1; i < records.size(); ++i) acc = this->fn(acc, records[i]);
    out.emit(acc);
  }
};

/// An aggregate function over a sliding count window's records.
template <class T, class Agg, class Out>
struct aggregate_records : holds_function<Agg> {
  template <class K>
  void operator()(const K&, const std::vector<T>& records, emitter<Out>& out) {
    auto acc = this->fn.create_accumulator();
    for (const auto& r : records) acc = this->fn.add(r, std::move(acc));
    out.emit(this->fn.get_result(acc));
  }
};

} // namespace detail

/// The records of a keyed stream grouped by count, per key (Flink's
/// countWindow): a tumbling window fires with every `size` records of a key;
/// a sliding one fires every `slide` records with the last `size` (fewer at
/// a key's start). Order is the key's arrival order, so results depend on it:
/// they are the same at any parallelism when each key's records come from
/// one source subtask in order. A key's last, partial tumbling window is not
/// emitted at end of input (as in Flink). State is keyed (in checkpoints,
/// savepoints, `weir state query`): a tumbling window's accumulator, a
/// sliding window's last `size` records. The result's timestamp is the
/// firing record's. A function object with open()/close() has them called
/// as a process function's are (once per subtask).
template <class T, class K, class KeyFn>
class count_windowed_stream {
public:
  /// Made by keyed_stream::count_window; throws std::invalid_argument for a
  /// size or slide of 0.
  count_windowed_stream(keyed_stream<T, K, KeyFn> keyed, uint64_t size, uint64_t slide)
    : keyed_(std::move(keyed)), size_(size), slide_(slide) {
    if (size == 0 || slide == 0) throw std::invalid_argument("weir: a count window needs a size and slide of at least 1");
  }

  /// fn(const T&, const T&) -> T folded over each window's records.
  template <class F>
  stream<T> reduce(F fn) {
    static_assert(std::is_invocable_r_v<T, F&, const T&, const T&>,
                  "weir: count_window(..).reduce expects fn(const T&, const T&) -> T");
    if (size_ == slide_) return incremental<T, T>(detail::reduce_ops<T, F>{{std::move(fn)}});
    return process<T>(detail::reduce_records<T, F>{{std::move(fn)}});
  }

  /// Incremental aggregation, as window aggregate: ACC create_accumulator(),
  /// ACC add(const T&, ACC), OUT get_result(const ACC&) (merge is not
  /// needed). ACC needs a codec when the window is tumbling (its state).
  template <class Agg>
  auto aggregate(Agg agg) {
    using ACC = std::decay_t<decltype(agg.create_accumulator())>;
    using OUT = std::decay_t<decltype(agg.get_result(std::declval<const ACC&>()))>;
    if (size_ == slide_) return incremental<OUT, ACC>(detail::aggregate_ops<T, Agg>{{std::move(agg)}});
    return process<OUT>(detail::aggregate_records<T, Agg, OUT>{{std::move(agg)}});
  }

  /// fn(const K& key, const std::vector<T>& records, emitter<R>& out) with
  /// each window's records in arrival order. R is deduced from the emitter,
  /// or given: process<R>(fn). Keeps the window's records in state.
  template <class R = void, class F>
  auto process(F fn) {
    using Out = std::conditional_t<std::is_void_v<R>, typename detail::interval_output<F>::type, R>;
    static_assert(!std::is_void_v<Out>, "weir: count_window(..).process expects fn(const K&, const "
                                        "std::vector<T>&, weir::emitter<R>&); name R for a generic lambda");
    using function = detail::sliding_count_function<T, K, Out, F>;
    return keyed_.template process<Out, typename function::state>(function{{std::move(fn)}, size_, slide_});
  }

private:
  template <class OUT, class ACC, class Ops>
  stream<OUT> incremental(Ops ops) {
    static_assert(has_codec_v<ACC>, "weir: a count window's accumulator is keyed state: it needs a weir::codec");
    using function = detail::tumbling_count_function<T, K, OUT, ACC, Ops>;
    return keyed_.template process<OUT, typename function::state>(function{{std::move(ops)}, size_});
  }

  keyed_stream<T, K, KeyFn> keyed_;
  uint64_t size_;
  uint64_t slide_;
};

template <class T, class K, class KeyFn>
count_windowed_stream<T, K, KeyFn> keyed_stream<T, K, KeyFn>::count_window(uint64_t size) const {
  return {*this, size, size};
}

template <class T, class K, class KeyFn>
count_windowed_stream<T, K, KeyFn> keyed_stream<T, K, KeyFn>::count_window(uint64_t size, uint64_t slide) const {
  return {*this, size, slide};
}

} // namespace weir
