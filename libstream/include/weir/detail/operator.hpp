#pragma once

// The operator SPI: how an operator subtask receives records and hands them on.
// Plain C++ (no actors): a task (actors/) strings parts together into a chain
// and feeds the head from its input channels or from a source.

#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

#include "weir/clock.hpp"
#include "weir/key_group.hpp"

namespace weir {

/// What a source reports after a poll.
enum class source_status : uint8_t {
  more,      ///< More records may follow right away.
  idle,      ///< Nothing to read for now (not merely slowed down): poll again later.
  exhausted, ///< The source has ended.
};

/// What an operator subtask knows about itself. Passed to user code that
/// implements open()-style hooks (sinks, rich functions).
struct subtask_info {
  std::string uid;              ///< The operator's stable unique id.
  uint32_t index = 0;           ///< This subtask, in [0, parallelism).
  uint32_t parallelism = 1;     ///< How many subtasks the operator has.
  uint32_t max_parallelism = default_max_parallelism; ///< Key groups: the highest parallelism it can rescale to.
  key_group_range key_groups;   ///< Key groups this subtask owns (keyed operators).
  /// Processing time; never null once the runtime built the subtask.
  const weir::clock* clock = &system_clock::instance();
  /// Identifies this run of the job (the same across its restarts and on
  /// every node): a sink tells its own run's files from another run's by it.
  uint64_t run_id = 0;
  /// Whether the job takes checkpoints (every source must then have a position).
  bool checkpointing = false;

  /// "count[2/4]": how logs and errors name a subtask.
  std::string name() const {
    return uid + "[" + std::to_string(index) + "/" + std::to_string(parallelism) + "]";
  }
};

/// Thrown out of a chain when user code fails; carries the failing subtask's
/// name so the job error says which operator and subtask failed.
class operator_failure : public std::runtime_error {
public:
  /// `what` went wrong in subtask `who`.
  operator_failure(const subtask_info& who, const std::string& what)
    : std::runtime_error(who.name() + ": " + what) {}
};

namespace detail {

struct operator_snapshot;

/// a + b, clamped to the int64 range (window ends, lateness, TTLs and
/// timeouts near the end of time).
inline int64_t saturating_add(int64_t a, int64_t b) noexcept {
  if (b > 0 && a > INT64_MAX - b) return INT64_MAX;
  if (b < 0 && a < INT64_MIN - b) return INT64_MIN;
  return a + b;
}

/// Receives the records of one operator's input, with their timestamps.
template <class T>
class collector {
public:
  virtual ~collector() = default;
  virtual void collect(const T& value, int64_t timestamp) = 0;
};

/// A pointer to some collector<T>, with T checked at run time when cast back.
/// The graph is typed by construction (stream<T> only connects to consumers of
/// T); the check turns a wiring bug into an exception instead of corruption.
struct erased_collector {
  void* ptr = nullptr;
  const std::type_info* type = nullptr;

  template <class T>
  static erased_collector of(collector<T>* c) {
    return {c, &typeid(T)};
  }

  template <class T>
  collector<T>* as() const {
    if (ptr == nullptr) return nullptr;
    if (*type != typeid(T)) throw std::logic_error("weir: chained operators disagree on record type");
    return static_cast<collector<T>*>(ptr);
  }
};

/// Asked by a part between units of a firing (one window, one timer, one
/// joined window) whether to stop for now: the task's output has no credit,
/// or its turn is used up. Implemented by the task (actors/).
class pause_signal {
public:
  virtual ~pause_signal() = default;
  virtual bool pause() = 0;
};

/// What on_watermark returns: the watermark passed on, or nothing when the
/// part paused with due work left (call it again with the same watermark).
using watermark_result = std::optional<int64_t>;

template <class F, class = void>
struct has_open_with_info : std::false_type {};
template <class F>
struct has_open_with_info<F, std::void_t<decltype(std::declval<F&>().open(std::declval<const subtask_info&>()))>>
  : std::true_type {};
template <class F, class = void>
struct has_open_without_info : std::false_type {};
template <class F>
struct has_open_without_info<F, std::void_t<decltype(std::declval<F&>().open())>> : std::true_type {};
template <class F, class = void>
struct has_close : std::false_type {};
template <class F>
struct has_close<F, std::void_t<decltype(std::declval<F&>().close())>> : std::true_type {};

/// A part's user function objects that have open() or close() (Flink's
/// rich functions): opened in order before the first record, closed in
/// reverse order, each once, only if it was opened.
class user_functions {
public:
  template <class F>
  void manage(F& fn) {
    constexpr bool opens = has_open_with_info<F>::value || has_open_without_info<F>::value;
    if constexpr (opens || has_close<F>::value)
      entries_.push_back({[&fn](const subtask_info& info) {
                            if constexpr (has_open_with_info<F>::value) fn.open(info);
                            else if constexpr (has_open_without_info<F>::value) fn.open();
                          },
                          [&fn] {
                            if constexpr (has_close<F>::value) fn.close();
                          }});
  }
  void open_all(const subtask_info& info) {
    for (; opened_ < entries_.size(); ++opened_) entries_[opened_].open(info);
  }
  void close_all() {
    while (opened_ > 0) entries_[--opened_].close(); // each once, even if one throws
  }

private:
  struct entry {
    std::function<void(const subtask_info&)> open;
    std::function<void()> close;
  };
  std::vector<entry> entries_;
  size_t opened_ = 0;
};

/// Whether a user function object has open() or close().
template <class F>
inline constexpr bool has_lifecycle_v =
    has_open_with_info<F>::value || has_open_without_info<F>::value || has_close<F>::value;

/// Base of a wrapper around a user's function (count and global windows wrap
/// it in their keyed process function): holds it as `fn` and, when it has
/// open() or close(), has them too, passing them on, so the part that
/// manages the wrapper opens and closes the user's function once.
template <class F, bool = has_lifecycle_v<F>>
struct holds_function {
  F fn;
};
template <class F>
struct holds_function<F, true> {
  F fn;
  void open(const subtask_info& info) {
    if constexpr (has_open_with_info<F>::value) fn.open(info);
    else if constexpr (has_open_without_info<F>::value) fn.open();
  }
  void close() {
    if constexpr (has_close<F>::value) fn.close();
  }
};

/// As a keyed process function's timer function: the record function
/// object handles timers too, with on_timer(time, state, ctx, out), so
/// one object (opened once) serves both.
struct timers_in_fn {};

/// A part's tagged side outputs that have a consumer, by tag name.
class side_outputs {
public:
  side_outputs() = default;
  /// Runtime SPI: from part_outputs::tagged.
  explicit side_outputs(std::vector<std::pair<std::string, erased_collector>> tagged) : tagged_(std::move(tagged)) {}
  /// The collector of `name`, or nullptr when nothing reads it. Throws
  /// std::logic_error when the side output was read with another type.
  template <class U>
  collector<U>* find(const std::string& name) const {
    for (const auto& [tag, c] : tagged_)
      if (tag == name) {
        if (*c.type != typeid(U))
          throw std::logic_error("weir: side output '" + name + "' is written with another type than it is read");
        return static_cast<collector<U>*>(c.ptr);
      }
    return nullptr;
  }

private:
  std::vector<std::pair<std::string, erased_collector>> tagged_;
};

/// One operator subtask inside a task. Owned by the task; called from one
/// thread at a time.
///
/// Bounded emission: a part that emits many records for one event (timers,
/// windows firing) emits one unit at a time and asks should_pause() before
/// each; when told to, it returns "paused" and the task calls it again once
/// its output has credit. So what a task holds beyond its credits is at most
/// the output of one unit (one user function call).
class part {
public:
  virtual ~part() = default;
  /// Called once before any record.
  virtual void open() {}
  /// The collector this part consumes from (unset for sources).
  virtual erased_collector input() { return {}; }
  /// The collector of a two-input part's second input.
  virtual erased_collector input2() { return {}; }
  /// The collector of input `i` (0: input(), 1: input2()); a part with more
  /// inputs (a union) overrides it.
  virtual erased_collector input_at(size_t i) { return i == 0 ? input() : i == 1 ? input2() : erased_collector{}; }
  /// All input has arrived and event time has ended. Called on each part of a
  /// chain in order, head first, so a part may still emit downstream here.
  virtual void end_of_input() {}
  /// Event time reached `watermark` at this part's input; every record before
  /// it has been collected. Called on each part of a chain in order, head
  /// first. Returns the watermark this part passes on: by default the same; a
  /// timestamp assigner returns its own, a window operator fires due windows
  /// (emitting downstream) first. Must be monotonic in what it returns.
  /// Returns nothing when it paused (see should_pause()).
  virtual watermark_result on_watermark(int64_t watermark) { return watermark; }
  /// The earliest processing time this part wants on_processing_time() at,
  /// or INT64_MAX for none.
  virtual int64_t next_processing_timer() const { return INT64_MAX; }
  /// Processing time reached `now`: fire what is due (head first in a chain).
  /// Returns false when it paused with due work left.
  virtual bool on_processing_time(int64_t now) { return true; }
  /// Records that arrived after their windows closed (window operators only).
  virtual uint64_t late_records() const { return 0; }
  /// Records this part wrote out of the job (sinks only).
  virtual uint64_t records_written() const { return 0; }

  /// Whether the part has state to snapshot (the task asks the others nothing).
  virtual bool stateful() const { return false; }
  /// Writes the subtask's state for a checkpoint into `out` (uid, subtask
  /// and parallelism are set): its own state and its keyed state per key
  /// group. Called between records, never while a firing is paused.
  virtual void snapshot(operator_snapshot& out) {}
  /// Restores what snapshot() wrote (the key groups this subtask owns), once,
  /// before open(). Throws state_error for state it cannot use.
  virtual void restore(const operator_snapshot& in) {}
  /// Checkpoint `id` completed (sinks commit what they pre-committed for it
  /// and before); `final`: the one holding this subtask's last snapshot,
  /// taken when it finished, completed too.
  virtual void on_checkpoint_complete(uint64_t id, bool final) {}

  /// Runtime SPI: whether the part cannot take another record now (an async
  /// operator at capacity). The task stops feeding it (reading this after
  /// every record) until a processing-time run frees room. Only a task's
  /// head part is ever full.
  const bool& input_full() const noexcept { return input_full_; }
  /// Runtime SPI: whether the part paused its run waiting for something
  /// outside the task (async results), not for credit: the task waits for
  /// a processing-time timer instead of resuming at once.
  bool waiting() const noexcept { return waiting_; }
  /// Runtime SPI: whether the part passed on a lower watermark than it was
  /// given (results still owed before it): the task runs the watermark
  /// again after each processing-time run.
  bool holding_watermark() const noexcept { return holding_watermark_; }
  /// Runtime SPI: whether the part owes output for input it took (async
  /// requests in flight): the task does not go idle meanwhile, and runs
  /// the watermark again after each processing-time run.
  bool owes_output() const noexcept { return owes_output_; }

  /// Runtime SPI: where should_pause() asks. Unset, a part never pauses.
  void bind_pause_signal(pause_signal* signal) noexcept { pause_ = signal; }
  /// Runtime SPI: calls open() of the user functions this part manages,
  /// before open() and after restore(). Throws what they throw (the
  /// caller names the subtask).
  void open_functions(const subtask_info& info) { functions_.open_all(info); }
  /// Runtime SPI: calls close() of the user functions opened, once: at the
  /// end of input after end_of_input(), or when the task is torn down
  /// (cancel, failure, restart).
  void close_functions() { functions_.close_all(); }

protected:
  /// Whether to stop emitting before the next unit of a firing.
  bool should_pause() const { return pause_ != nullptr && pause_->pause(); }
  void set_input_full(bool full) noexcept { input_full_ = full; }
  void set_waiting(bool waiting) noexcept { waiting_ = waiting; }
  void set_holding_watermark(bool holding) noexcept { holding_watermark_ = holding; }
  void set_owes_output(bool owes) noexcept { owes_output_ = owes; }
  /// Registers a user function object whose open()/close() the runtime
  /// calls (a no-op for one without them). `fn` must outlive the part.
  template <class F>
  void manage(F& fn) {
    functions_.manage(fn);
  }

private:
  pause_signal* pause_ = nullptr;
  user_functions functions_;
  bool input_full_ = false;
  bool waiting_ = false;
  bool holding_watermark_ = false;
  bool owes_output_ = false;
};

/// A source subtask: emits records downstream when polled.
class source_part : public part {
public:
  /// Emits at most `max_records` records, returning whether more may follow.
  /// Must not block: read in bounded chunks.
  virtual source_status poll(size_t max_records) = 0;
  /// Records emitted so far.
  virtual uint64_t records_emitted() const = 0;
};

/// What the exception being handled says; for one that is no std::exception
/// (a kj::Exception from reading a malformed Cap'n Proto record) as well.
std::string describe_current_exception();

/// Runs `f`, turning anything it throws into an operator_failure naming `who`
/// (failures of downstream parts pass through unchanged).
template <class F>
decltype(auto) guarded(const subtask_info& who, F&& f) {
  try {
    return f();
  } catch (const operator_failure&) {
    throw;
  } catch (...) {
    throw operator_failure(who, describe_current_exception());
  }
}

} // namespace detail
} // namespace weir
