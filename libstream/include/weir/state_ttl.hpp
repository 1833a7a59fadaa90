#pragma once

/// \file
/// A time-to-live for the keyed state of a process function:
/// key_by(k).state_ttl(weir::state_ttl::processing_time(std::chrono::hours(1))).process<R, State>(...).
/// A value type.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <stdexcept>

namespace weir {

/// How long a key's State lives without being touched. Weir keeps the time
/// of each key's last access with its State (in checkpoints too); a key
/// whose State has expired is gone at once (its next record starts from an
/// empty State, a timer of it runs with an empty one), and expired keys are
/// removed a few per record and all at each checkpoint, so the state of keys
/// that stop appearing does not grow without bound.
///
/// TTL is per key, for its whole State: Weir cannot see which field a
/// function reads or writes, so a record of the key is its access (Flink's
/// OnCreateAndWrite), or a record or a timer of it (OnReadAndWrite).
struct state_ttl {
  /// Which clock ages the state.
  enum class time : uint8_t {
    processing, ///< The runtime clock (runtime_options::clock): expired ttl after the last access.
    event,      ///< Event time: expired once the watermark is ttl past the last access's timestamp.
  };
  /// What renews a key's State.
  enum class renew : uint8_t {
    on_record,           ///< Each record of the key (Flink's OnCreateAndWrite).
    on_record_and_timer, ///< Each record or timer of the key (OnReadAndWrite).
  };

  std::chrono::milliseconds ttl{0};    ///< How long a key's State lives after its last access.
  time clock = time::processing;        ///< Which time ages it.
  renew renew_on = renew::on_record;    ///< What counts as an access.
  /// Expired keys looked for (and removed) per record: cleanup keeps pace
  /// with the input at a small cost per record.
  size_t cleanup_per_record = 2;

  /// Expires ttl of processing time after the last access. Throws
  /// std::invalid_argument unless ttl is positive.
  static state_ttl processing_time(std::chrono::milliseconds ttl) { return make(ttl, time::processing); }
  /// Expires once the watermark is ttl past the last access's timestamp;
  /// a record whose own timestamp is that far past it sees the key's state
  /// expired too (so a key's records, in order and not behind the
  /// watermark, expire it alike whatever the watermark's pace; not so with
  /// renewed_by_timers(), whose renewals come with the watermark).
  static state_ttl event_time(std::chrono::milliseconds ttl) { return make(ttl, time::event); }
  /// The same, renewed by timers of the key too.
  state_ttl renewed_by_timers() const {
    state_ttl t = *this;
    t.renew_on = renew::on_record_and_timer;
    return t;
  }

private:
  static state_ttl make(std::chrono::milliseconds ttl, time clock) {
    if (ttl.count() <= 0) throw std::invalid_argument("weir: a state TTL is positive");
    state_ttl t;
    t.ttl = ttl;
    t.clock = clock;
    return t;
  }
};

} // namespace weir
