#pragma once

// Interfaces for user-written sources and sinks, and the emitter that
// flat_map and sources emit through.

#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "weir/codec.hpp"
#include "weir/detail/operator.hpp"

namespace weir {

/// Names a side output of records of type T (Flink's OutputTag): a process
/// function writes to it with ctx.output(tag, value), and
/// stream.side_output(tag) is the stream of what it wrote. Tags with the
/// same name are the same side output; the name must not be empty (throws
/// std::invalid_argument). Cheap to copy.
template <class T>
struct output_tag {
  /// A tag named `name`.
  explicit output_tag(std::string tag_name) : name(std::move(tag_name)) {
    if (name.empty()) throw std::invalid_argument("weir: an output tag needs a name");
  }
  std::string name; ///< Its name, unique among one operator's side outputs.
};

/// Hands records to the next operator. Valid only during the call that
/// received it; not thread-safe. Emitting never blocks: backpressure is
/// applied between records by the task, not inside user code.
template <class T>
class emitter {
public:
  /// Runtime SPI: emits into `downstream`, which must outlive the emitter.
  explicit emitter(detail::collector<T>* downstream) : downstream_(downstream) {}

  /// Passes `value` to the next operator with the current timestamp (see
  /// set_timestamp).
  void emit(const T& value) {
    ++count_;
    downstream_->collect(value, timestamp_);
  }
  /// As emit(), so an emitter can be passed where a callable is expected.
  void operator()(const T& value) { emit(value); }

  /// The timestamp given to records emitted from now on (sources stamp event
  /// time here; flat_map inherits the input record's).
  void set_timestamp(int64_t ts) noexcept { timestamp_ = ts; }

  /// Records emitted through this emitter so far.
  uint64_t count() const noexcept { return count_; }
  /// Runtime SPI: the count a restored source had reached.
  void restore_count(uint64_t n) noexcept { count_ = n; }

private:
  detail::collector<T>* downstream_;
  int64_t timestamp_ = INT64_MIN;
  uint64_t count_ = 0;
};

/// A source of records, one instance per subtask. Called from one thread.
/// Errors: throw; the job fails with an error naming the source's uid and subtask.
template <class T>
class source_function {
public:
  virtual ~source_function() = default;
  /// Called once before the first poll.
  virtual void open(const subtask_info&) {}
  /// Emits at most `max_records` records and says whether more may follow.
  /// Must return promptly (read in bounded chunks, never wait). Return idle
  /// only when there truly is no input now: an idle source is left out of the
  /// downstream watermark, so its partition does not hold event time back.
  virtual source_status poll(emitter<T>& out, size_t max_records) = 0;

  // -- position: needed when the job takes checkpoints ---------------------
  // A checkpoint records where each source subtask is; a restore rewinds it
  // there, so every record after the checkpoint is read again, and none
  // before it. A job with checkpoints fails to start if a source has none.

  /// Whether this source implements write_position and read_position.
  virtual bool has_position() const { return false; }
  /// Writes where the next poll continues (a byte offset, an index, an entry
  /// id), with weir codecs. Called between polls.
  virtual void write_position(byte_writer& out) const {}
  /// Called before open() when the job restores from a checkpoint: the first
  /// poll after open() must continue where write_position() said. Reading
  /// past the bytes fails the restore (the position is corrupt).
  virtual void read_position(byte_reader& in) {}

  /// Rescaling (optional): restoring at another parallelism than the
  /// snapshot's, called instead of read_position (before open()) with every
  /// old subtask's position: positions[i] is what old subtask i of
  /// positions.size() wrote (empty if it wrote none). Each new subtask takes
  /// its share, so that in all every record after the snapshot is read once:
  /// the built-in sources take the old subtasks i with
  /// i % now.parallelism == now.index (see weir::strided_lanes). Returns
  /// false (the default) when the source cannot change its parallelism: the
  /// restore is then refused, naming the operator.
  virtual bool read_rescaled_positions(const subtask_info& now, const std::vector<std::string>& positions) {
    return false;
  }
};

/// Where records leave the job, one instance per subtask. Called from one thread.
/// Errors: throw; the job fails with an error naming the sink's uid and subtask.
template <class T>
class sink_function {
public:
  virtual ~sink_function() = default;
  /// Called once before the first write (on a restore, after read_state or
  /// read_rescaled_state).
  virtual void open(const subtask_info&) {}
  /// Writes one record. The default write_at calls it.
  virtual void write(const T& value) = 0;
  /// What the runtime calls for each record: `timestamp` is its event time
  /// (INT64_MIN when it has none). A sink that needs the time overrides this.
  virtual void write_at(const T& value, int64_t timestamp) { write(value); }
  /// Event time reached `watermark` at the sink: every record up to it has
  /// been written. A sink that closes buckets by event time overrides this.
  virtual void on_watermark(int64_t watermark) {}
  /// All input has arrived and event time has ended: flush (a transactional
  /// sink publishes at commit).
  virtual void end_of_input() {}

  // -- two-phase commit (optional) ------------------------------------------
  // A transactional sink makes what it writes visible only once a checkpoint
  // holding it completes, so a reader of committed output never sees the
  // output of an attempt that failed, and sees each record once. Without
  // checkpoints the whole output commits when the job succeeds.

  /// Whether this sink implements the calls below.
  virtual bool transactional() const { return false; }
  /// On a checkpoint barrier and after end of input: make everything written
  /// since the last call durable but invisible, and describe it (the bytes
  /// are stored in the checkpoint). Empty means nothing was written.
  virtual std::string pre_commit() { return {}; }
  /// The checkpoint holding `txn` completed: make it visible. Must be
  /// idempotent: after a recovery it is called again for the same `txn`.
  virtual void commit(const std::string& txn) {}
  /// After open() on a restore: commit each of `pre_committed` (what the
  /// restored checkpoint held), then discard everything written that no
  /// completed checkpoint pre-committed.
  virtual void recover(const std::vector<std::string>& pre_committed) {
    for (const auto& txn : pre_committed) commit(txn);
  }
  /// The sink's own state (a file counter, say), stored with each checkpoint
  /// and handed back before open() on a restore.
  virtual void write_state(byte_writer& out) const {}
  /// On a restore, before open(): reads back what write_state() wrote.
  virtual void read_state(byte_reader& in) {}

  /// What one old subtask held, for a restore at another parallelism.
  struct old_subtask {
    uint32_t index = 0;                    ///< The old subtask's index, in [0, old parallelism).
    std::string state;                     ///< What its write_state() wrote.
    std::vector<std::string> pre_committed; ///< Its transactions the snapshot holds.
  };
  /// Rescaling: restoring at another parallelism than the snapshot's, called
  /// on every new subtask before open() instead of read_state, with every
  /// old subtask's state and transactions; recover() follows open() with no
  /// transactions of its own. Together the new subtasks must commit each old
  /// transaction (commits are idempotent: twice is harmless) and discard
  /// what no completed checkpoint holds. Returns false when the sink cannot
  /// change its parallelism (the restore is refused, naming it). The default
  /// accepts a sink that kept nothing (no state, no transactions).
  virtual bool read_rescaled_state(const subtask_info& now, const std::vector<old_subtask>& old) {
    for (const auto& o : old)
      if (!o.state.empty() || !o.pre_committed.empty()) return false;
    return true;
  }
};

/// Makes one source (or sink) instance per subtask; must be callable from any thread.
template <class T>
using source_factory = std::function<std::unique_ptr<source_function<T>>()>;
/// Makes one sink instance per subtask; must be callable from any thread.
template <class T>
using sink_factory = std::function<std::unique_ptr<sink_function<T>>()>;

} // namespace weir
