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
/// firing record's. User functions here have no open()/close().
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
    if (size_ == slide_)
      return incremental<T, T>([](const T& v) { return v; }, [fn](T& acc, const T& v) mutable { acc = fn(acc, v); },
                               [](const T& acc) { return acc; });
    return process<T>([fn](const K&, const std::vector<T>& records, emitter<T>& out) mutable {
      T acc = records.front();
      for (size_t i = 1; i < records.size(); ++i) acc = fn(acc, records[i]);
      out.emit(acc);
    });
  }

  /// Incremental aggregation, as window aggregate: ACC create_accumulator(),
  /// ACC add(const T&, ACC), OUT get_result(const ACC&) (merge is not
  /// needed). ACC needs a codec when the window is tumbling (its state).
  template <class Agg>
  auto aggregate(Agg agg) {
    using ACC = std::decay_t<decltype(agg.create_accumulator())>;
    using OUT = std::decay_t<decltype(agg.get_result(std::declval<const ACC&>()))>;
    if (size_ == slide_)
      return incremental<OUT, ACC>([agg](const T& v) mutable { return agg.add(v, agg.create_accumulator()); },
                                   [agg](ACC& acc, const T& v) mutable { acc = agg.add(v, std::move(acc)); },
                                   [agg](const ACC& acc) mutable { return agg.get_result(acc); });
    return process<OUT>([agg](const K&, const std::vector<T>& records, emitter<OUT>& out) mutable {
      ACC acc = agg.create_accumulator();
      for (const auto& r : records) acc = agg.add(r, std::move(acc));
      out.emit(agg.get_result(acc));
    });
  }

  /// fn(const K& key, const std::vector<T>& records, emitter<R>& out) with
  /// each window's records in arrival order. R is deduced from the emitter,
  /// or given: process<R>(fn). Keeps the window's records in state.
  template <class R = void, class F>
  auto process(F fn) {
    using Out = std::conditional_t<std::is_void_v<R>, typename detail::interval_output<F>::type, R>;
    static_assert(!std::is_void_v<Out>, "weir: count_window(..).process expects fn(const K&, const "
                                        "std::vector<T>&, weir::emitter<R>&); name R for a generic lambda");
    using State = detail::count_buffer_state<T>;
    uint64_t size = size_, slide = slide_;
    return keyed_.template process<Out, State>(
        [fn, size, slide](const T& v, State& s, keyed_context<K>& ctx, emitter<Out>& out) mutable {
          auto records = s.records.get();
          records.push_back(v);
          if (records.size() > size) records.erase(records.begin());
          uint64_t since = s.since.value_or(0) + 1;
          if (since == slide) {
            fn(ctx.key(), records, out);
            since = 0;
            if (slide == size) {
              ctx.clear_state(); // tumbling: the window is done
              return;
            }
          }
          s.records.update(std::move(records));
          s.since.update(since);
        });
  }

private:
  template <class OUT, class ACC, class Create, class Add, class Result>
  stream<OUT> incremental(Create create, Add add, Result result) {
    static_assert(has_codec_v<ACC>, "weir: a count window's accumulator is keyed state: it needs a weir::codec");
    using State = detail::count_acc_state<ACC>;
    uint64_t size = size_;
    return keyed_.template process<OUT, State>(
        [create, add, result, size](const T& v, State& s, keyed_context<K>& ctx, emitter<OUT>& out) mutable {
          uint64_t n = s.count.value_or(0) + 1;
          if (n == 1) {
            s.acc.update(create(v));
          } else {
            ACC acc = s.acc.value();
            add(acc, v);
            s.acc.update(std::move(acc));
          }
          if (n < size) {
            s.count.update(n);
            return;
          }
          out.emit(result(s.acc.value()));
          ctx.clear_state();
        });
  }

  keyed_stream<T, K, KeyFn> keyed_;
  uint64_t size_;
  uint64_t slide_;
};

template <class T, class K, class KeyFn>
count_windowed_stream<T, K, KeyFn> keyed_stream<T, K, KeyFn>::count_window(uint64_t size) const {
  refuse_ttl("count_window");
  return {*this, size, size};
}

template <class T, class K, class KeyFn>
count_windowed_stream<T, K, KeyFn> keyed_stream<T, K, KeyFn>::count_window(uint64_t size, uint64_t slide) const {
  refuse_ttl("count_window");
  return {*this, size, slide};
}

} // namespace weir
