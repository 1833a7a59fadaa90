#pragma once

// The built-in operator parts: one class per operator kind, each a
// collector of its input that calls the user function and emits downstream.

#include <algorithm>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "weir/codec.hpp"
#include "weir/detail/graph.hpp"
#include "weir/detail/keyed_state.hpp"
#include "weir/event_time.hpp"
#include "weir/functions.hpp"

namespace weir::detail {

/// The key of `value` by the user's selector; a selector that throws fails
/// the operator like any user function.
template <class K, class KeyFn, class V>
K key_of(const subtask_info& info, KeyFn& key_fn, const V& value) {
  return guarded(info, [&]() -> K { return key_fn(value); });
}

/// The map of `key`'s key group in a subtask's per-key-group `state` (indexed
/// from the first key group it owns). A key of a group the subtask does not
/// own means records were partitioned wrongly: fail loudly, never misfile state.
template <class Map, class K>
Map& key_group_state(std::vector<Map>& state, const subtask_info& info, const K& key) {
  uint32_t kg = key_group_for_hash(key_hash(key), info.max_parallelism);
  if (!info.key_groups.contains(kg))
    throw operator_failure(info, "received a key of key group " + std::to_string(kg)
                                   + " it does not own (partitioning bug)");
  return state[kg - info.key_groups.first];
}

/// Base of a part that consumes T.
template <class In>
class input_part : public part, public collector<In> {
public:
  explicit input_part(subtask_info info) : info_(std::move(info)) {}
  erased_collector input() override { return erased_collector::of<In>(this); }

protected:
  subtask_info info_;
};

template <class In, class Out, class F>
class map_part final : public input_part<In> {
public:
  map_part(subtask_info info, F fn, collector<Out>* down)
    : input_part<In>(std::move(info)), fn_(std::move(fn)), down_(down) {
    this->manage(fn_);
  }
  void collect(const In& value, int64_t ts) override {
    down_->collect(guarded(this->info_, [&]() -> Out { return fn_(value); }), ts);
  }

private:
  F fn_;
  collector<Out>* down_;
};

template <class T, class F>
class filter_part final : public input_part<T> {
public:
  filter_part(subtask_info info, F fn, collector<T>* down)
    : input_part<T>(std::move(info)), fn_(std::move(fn)), down_(down) {
    this->manage(fn_);
  }
  void collect(const T& value, int64_t ts) override {
    if (guarded(this->info_, [&]() -> bool { return fn_(value); })) down_->collect(value, ts);
  }

private:
  F fn_;
  collector<T>* down_;
};

template <class In, class Out, class F>
class flat_map_part final : public input_part<In> {
public:
  flat_map_part(subtask_info info, F fn, collector<Out>* down)
    : input_part<In>(std::move(info)), fn_(std::move(fn)), out_(down) {
    this->manage(fn_);
  }
  void collect(const In& value, int64_t ts) override {
    out_.set_timestamp(ts);
    guarded(this->info_, [&] { fn_(value, out_); });
  }

private:
  F fn_;
  emitter<Out> out_;
};

template <class In, class Out, class F>
class process_part;
struct process_context_access;

} // namespace weir::detail

namespace weir {

/// What a (non-keyed) process function sees besides the record: its
/// timestamp, event and processing time, and its side outputs. Valid only
/// during the call that received it.
class process_context {
public:
  /// The record's timestamp (INT64_MIN when it has none).
  int64_t timestamp() const noexcept { return timestamp_; }
  /// The operator's event time: the watermark it has reached.
  int64_t current_watermark() const noexcept { return watermark_; }
  /// The clock's time (see runtime_options::clock).
  int64_t current_processing_time() const { return clock_->now_ms(); }
  /// Writes `value` to the side output `tag` with the record's timestamp;
  /// stream.side_output(tag) reads it (without a reader it is dropped).
  /// Throws std::logic_error when the side output is read as another type.
  template <class U>
  void output(const output_tag<U>& tag, const U& value) {
    if (auto* c = sides_.template find<U>(tag.name)) c->collect(value, timestamp_);
  }

private:
  template <class, class, class>
  friend class detail::process_part;
  friend struct detail::process_context_access;
  process_context(const weir::clock* clock, detail::side_outputs sides) : clock_(clock), sides_(std::move(sides)) {}
  int64_t timestamp_ = INT64_MIN;
  int64_t watermark_ = INT64_MIN;
  const weir::clock* clock_;
  detail::side_outputs sides_;
};

} // namespace weir

namespace weir::detail {

/// Runtime SPI: how other parts than process_part make and step a
/// process_context (broadcast functions receive one).
struct process_context_access {
  static process_context make(const weir::clock* clock, side_outputs sides) {
    return process_context(clock, std::move(sides));
  }
  static void set_timestamp(process_context& c, int64_t ts) noexcept { c.timestamp_ = ts; }
  static void advance_watermark(process_context& c, int64_t wm) noexcept {
    c.watermark_ = std::max(c.watermark_, wm);
  }
};

/// A process function without keys: fn(const In&, process_context&,
/// emitter<Out>&) per record, with side outputs. No state.
template <class In, class Out, class F>
class process_part final : public input_part<In> {
public:
  process_part(subtask_info info, F fn, collector<Out>* down, side_outputs sides)
    : input_part<In>(std::move(info)), fn_(std::move(fn)), out_(down), ctx_(this->info_.clock, std::move(sides)) {
    this->manage(fn_);
  }
  void collect(const In& value, int64_t ts) override {
    ctx_.timestamp_ = ts;
    out_.set_timestamp(ts);
    guarded(this->info_, [&] { fn_(value, ctx_, out_); });
  }
  watermark_result on_watermark(int64_t watermark) override {
    ctx_.watermark_ = std::max(ctx_.watermark_, watermark);
    return watermark;
  }

private:
  F fn_;
  emitter<Out> out_;
  process_context ctx_;
};

/// The union of several streams of T: every input's records pass on as
/// they are, with their timestamps. Event time is the least of the inputs'
/// (the task takes the minimum over its channels, as for any operator).
template <class T>
class union_part final : public part {
public:
  explicit union_part(collector<T>* down) : down_(down) {}
  erased_collector input() override { return erased_collector::of<T>(down_); }
  erased_collector input_at(size_t) override { return input(); }

private:
  collector<T>* down_;
};

/// Rolling reduce on keyed state: emits the new accumulated value per record.
/// State lives in one hash map per owned key group, so a later snapshot (or a
/// restore at another parallelism) moves whole key groups.
template <class T, class K, class KeyFn, class F>
class reduce_part final : public input_part<T> {
public:
  reduce_part(subtask_info info, KeyFn key_fn, F fn, collector<T>* down)
    : input_part<T>(std::move(info)), key_fn_(std::move(key_fn)), fn_(std::move(fn)),
      down_(down), groups_(this->info_.key_groups.size()) {
    this->manage(fn_);
  }

  void collect(const T& value, int64_t ts) override {
    K key = key_of<K>(this->info_, key_fn_, value);
    auto& group = key_group_state(groups_, this->info_, key);
    auto it = group.find(key);
    if (it == group.end()) {
      it = group.emplace(std::move(key), value).first;
    } else {
      it->second = guarded(this->info_, [&]() -> T { return fn_(it->second, value); });
    }
    down_->collect(it->second, ts);
  }

  bool stateful() const override { return true; }

  void snapshot(operator_snapshot& out) override {
    snapshot_key_groups(this->info_, schema(), out,
      [&](uint32_t i, entry_table& t) {
        for (const auto& [key, value] : groups_[i])
          t.add([&](byte_writer& w) {
            codec<K>::encode(key, w);
            codec<T>::encode(value, w);
          });
      },
      [](uint32_t, entry_table&) {});
  }

  void restore(const operator_snapshot& in) override {
    restore_key_groups(this->info_, schema(), in,
      [&](uint32_t i, byte_reader& r) {
        K key = codec<K>::decode(r);
        groups_[i][std::move(key)] = codec<T>::decode(r);
      },
      [](byte_reader&) {});
  }

private:
  static state_schema schema() { return {"reduce", type_name_of<K>(), {{"value", type_name_of<T>()}}, ""}; }

  KeyFn key_fn_;
  F fn_;
  collector<T>* down_;
  std::vector<key_map<K, T>> groups_;
};

/// Stamps event time on records and replaces the upstream watermark with its
/// own generator's (Flink's assignTimestampsAndWatermarks).
template <class T>
class timestamps_part final : public input_part<T> {
public:
  timestamps_part(subtask_info info, const watermark_strategy<T>& strategy, collector<T>* down)
    : input_part<T>(std::move(info)), assign_(strategy.assigner()),
      generator_(strategy.generator()()), down_(down) {}

  void collect(const T& value, int64_t ts) override {
    int64_t stamped = assign_ ? guarded(this->info_, [&] { return assign_(value, ts); }) : ts;
    guarded(this->info_, [&] { generator_->on_event(value, stamped); });
    down_->collect(value, stamped);
  }

  watermark_result on_watermark(int64_t upstream) override {
    if (upstream == max_watermark) return max_watermark; // end of input ends event time
    // A custom generator that steps back must not move event time backwards.
    last_ = std::max(last_, guarded(this->info_, [&] { return generator_->current_watermark(); }));
    return last_;
  }

  // The generator's own state is not stored (it may be the user's); the
  // watermark it reached is, so event time never steps back after a restore.
  bool stateful() const override { return true; }
  void snapshot(operator_snapshot& out) override {
    out.operator_state = encode_operator_state({last_, 0, {}});
  }
  void restore(const operator_snapshot& in) override {
    if (auto st = restored_operator_state(this->info_, in)) last_ = st->watermark;
  }

private:
  typename watermark_strategy<T>::timestamp_assigner assign_;
  std::unique_ptr<watermark_generator<T>> generator_;
  collector<T>* down_;
  int64_t last_ = min_watermark;
};

/// A sink subtask. For a transactional sink_function it keeps the
/// transactions pre-committed on each barrier until their checkpoint
/// completes; they are part of its snapshot, so a restore commits what the
/// restored checkpoint held and the function discards the rest.
template <class T>
class sink_part final : public input_part<T> {
public:
  sink_part(subtask_info info, std::unique_ptr<sink_function<T>> fn)
    : input_part<T>(std::move(info)), fn_(std::move(fn)) {}
  void open() override {
    guarded(this->info_, [&] { fn_->open(this->info_); });
    if (restored_) guarded(this->info_, [&] { fn_->recover(std::exchange(recovered_, {})); });
  }
  void collect(const T& value, int64_t ts) override {
    guarded(this->info_, [&] { fn_->write_at(value, ts); });
    ++written_;
  }
  watermark_result on_watermark(int64_t watermark) override {
    guarded(this->info_, [&] { fn_->on_watermark(watermark); });
    return watermark;
  }
  void end_of_input() override { guarded(this->info_, [&] { fn_->end_of_input(); }); }
  uint64_t records_written() const override { return written_; }

  bool stateful() const override { return true; }

  void snapshot(operator_snapshot& out) override {
    if (fn_->transactional()) {
      auto txn = guarded(this->info_, [&] { return fn_->pre_commit(); });
      if (!txn.empty()) pending_.emplace_back(out.checkpoint, std::move(txn));
    }
    operator_state st{INT64_MIN, written_, {}};
    byte_writer w(st.data);
    codec<std::vector<std::pair<uint64_t, std::string>>>::encode(pending_, w);
    std::string own;
    byte_writer ow(own);
    guarded(this->info_, [&] { fn_->write_state(ow); });
    codec<std::string>::encode(own, w);
    out.operator_state = encode_operator_state(st);
  }

  void restore(const operator_snapshot& in) override {
    if (!in.rescaled.empty()) {
      restore_rescaled(in);
      return;
    }
    auto st = restored_operator_state(this->info_, in);
    if (!st) return;
    written_ = st->records;
    auto old = decode_sink_state(*st, this->info_.index);
    byte_reader owr(old.state);
    guarded(this->info_, [&] { fn_->read_state(owr); });
    recovered_ = std::move(old.pre_committed);
    restored_ = true;
  }

  void on_checkpoint_complete(uint64_t id, bool final) override {
    // In order: a transaction of the final snapshot (id 0) commits last.
    size_t done = 0;
    for (; done < pending_.size(); ++done) {
      auto ckpt = pending_[done].first;
      if (!(final || (ckpt != 0 && ckpt <= id))) break;
      guarded(this->info_, [&] { fn_->commit(pending_[done].second); });
    }
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(done));
  }

private:
  using old_subtask = typename sink_function<T>::old_subtask;

  old_subtask decode_sink_state(const operator_state& st, uint32_t index) const {
    byte_reader r(st.data);
    auto pending = codec<std::vector<std::pair<uint64_t, std::string>>>::decode(r);
    auto own = codec<std::string>::decode(r);
    if (!r.ok() || !r.at_end())
      throw state_error(errc::corrupt_state, this->info_.name() + ": the stored sink state does not decode");
    old_subtask old{index, std::move(own), {}};
    for (auto& p : pending) old.pre_committed.push_back(std::move(p.second));
    return old;
  }

  // At another parallelism every new subtask sees every old one's state; the
  // function decides what it takes.
  void restore_rescaled(const operator_snapshot& in) {
    std::vector<old_subtask> old;
    for (const auto& [index, st] : rescaled_operator_states(this->info_, in)) {
      if (index % this->info_.parallelism == this->info_.index) written_ += st.records;
      old.push_back(decode_sink_state(st, index));
    }
    bool taken = guarded(this->info_, [&] { return fn_->read_rescaled_state(this->info_, old); });
    if (!taken)
      throw state_error(errc::incompatible_state,
                        this->info_.name() + ": this sink cannot change its parallelism (from "
                          + std::to_string(in.rescaled_from) + "); keep it with .parallelism("
                          + std::to_string(in.rescaled_from) + ")");
    restored_ = true;
  }

  uint64_t written_ = 0;
  std::unique_ptr<sink_function<T>> fn_;
  std::vector<std::pair<uint64_t, std::string>> pending_; // checkpoint (0: the final one), transaction
  std::vector<std::string> recovered_;                    // a restore's transactions, committed at open
  bool restored_ = false;
};

template <class T>
class user_source_part final : public source_part {
public:
  user_source_part(subtask_info info, std::unique_ptr<source_function<T>> fn, collector<T>* down)
    : info_(std::move(info)), fn_(std::move(fn)), out_(down) {}
  void open() override {
    if (info_.checkpointing && !fn_->has_position())
      throw operator_failure(info_, "this source has no position, so the job cannot take checkpoints: "
                                    "implement has_position, write_position and read_position of "
                                    "its source_function, or run without checkpoints");
    guarded(info_, [&] { fn_->open(info_); });
  }
  source_status poll(size_t max_records) override {
    return guarded(info_, [&] { return fn_->poll(out_, max_records); });
  }
  uint64_t records_emitted() const override { return out_.count(); }

  bool stateful() const override { return true; }
  void snapshot(operator_snapshot& out) override {
    operator_state st{INT64_MIN, out_.count(), {}};
    if (fn_->has_position()) {
      byte_writer w(st.data);
      guarded(info_, [&] { fn_->write_position(w); });
    }
    out.operator_state = encode_operator_state(st);
  }
  void restore(const operator_snapshot& in) override {
    auto st = restored_operator_state(info_, in);
    if (!st) return;
    out_.restore_count(st->records);
    if (!fn_->has_position())
      throw state_error(errc::incompatible_state, info_.name() + ": the source cannot be rewound (it has no position)");
    if (!in.rescaled.empty()) {
      restore_rescaled(in);
      return;
    }
    byte_reader r(st->data);
    guarded(info_, [&] { fn_->read_position(r); });
    if (!r.ok() || !r.at_end())
      throw state_error(errc::corrupt_state, info_.name() + ": the stored source position does not decode");
  }

private:
  void restore_rescaled(const operator_snapshot& in) {
    std::vector<std::string> positions(in.rescaled_from);
    for (auto& [index, st] : rescaled_operator_states(info_, in))
      if (index < positions.size()) positions[index] = std::move(st.data);
    bool taken = guarded(info_, [&] { return fn_->read_rescaled_positions(info_, positions); });
    if (!taken)
      throw state_error(errc::incompatible_state,
                        info_.name() + ": this source cannot change its parallelism (from "
                          + std::to_string(in.rescaled_from) + "); keep it with .parallelism("
                          + std::to_string(in.rescaled_from) + ")");
  }

  subtask_info info_;
  std::unique_ptr<source_function<T>> fn_;
  emitter<T> out_;
};

template <class T>
class fanout_part final : public part, public collector<T> {
public:
  explicit fanout_part(std::vector<collector<T>*> outs) : outs_(std::move(outs)) {}
  erased_collector input() override { return erased_collector::of<T>(this); }
  void collect(const T& value, int64_t ts) override {
    for (auto* out : outs_) out->collect(value, ts);
  }

private:
  std::vector<collector<T>*> outs_;
};

/// Partitions records of one edge over its channels and encodes them there.
/// `Hash` maps a record to its key hash (used only for partitioning::hash).
template <class T, class Hash>
class edge_writer final : public part, public collector<T> {
public:
  edge_writer(std::vector<output_channel*> channels, partitioning mode, Hash hash,
              uint32_t max_parallelism, uint32_t producer_index)
    : channels_(std::move(channels)), mode_(mode), hash_(std::move(hash)),
      max_parallelism_(max_parallelism), next_(producer_index) {}

  erased_collector input() override { return erased_collector::of<T>(this); }

  void collect(const T& value, int64_t ts) override {
    auto n = static_cast<uint32_t>(channels_.size());
    switch (mode_) {
      case partitioning::forward:
        write(0, value, ts);
        break;
      case partitioning::rebalance:
        write(next_++ % n, value, ts);
        break;
      case partitioning::hash: {
        uint32_t kg = key_group_for_hash(hash_(value), max_parallelism_);
        write(subtask_for_key_group(kg, max_parallelism_, n), value, ts);
        break;
      }
      case partitioning::broadcast:
        for (uint32_t i = 0; i < n; ++i) write(i, value, ts);
        break;
    }
  }

private:
  void write(uint32_t i, const T& value, int64_t ts) {
    channels_[i]->add(ts, [&](auto& payload) { encode_value(value, payload); });
  }

  std::vector<output_channel*> channels_;
  partitioning mode_;
  Hash hash_;
  uint32_t max_parallelism_;
  uint32_t next_;
};

template <class T>
class typed_batch_reader final : public batch_reader {
public:
  explicit typed_batch_reader(collector<T>* head) : head_(head) {}

  size_t read(const frame_view& frame, size_t begin, size_t end, const size_t& blocked,
              const bool& full) override {
    size_t i = begin;
    for (; i < end && blocked == 0 && !full; ++i) {
      byte_reader in(frame.value(i));
      // Every record decodes into the same value, so its strings keep their
      // memory from one record to the next (no allocation per field).
      if (value_)
        decode_into(in, *value_);
      else
        value_.emplace(codec<T>::decode(in));
      if (!in.ok() || !in.at_end())
        throw record_error("record " + std::to_string(i) + " of frame " + std::to_string(frame.sequence())
                           + " on channel " + std::to_string(frame.channel())
                           + " does not decode as its record type");
      head_->collect(*value_, frame.timestamp(i));
    }
    return i;
  }

private:
  collector<T>* head_;
  std::optional<T> value_; // collect() takes a reference valid for the call only
};

} // namespace weir::detail
