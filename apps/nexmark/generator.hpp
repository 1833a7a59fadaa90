#pragma once

// The Nexmark event generator (../shared/nexmark.md, "Events"): event number
// n alone decides event n, so any subtask can generate any share of the
// numbers, and a checkpoint only needs the next number.

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "nexmark/event.hpp"

namespace weir::nexmark {

struct generator_config {
  uint64_t seed = 1;
  /// Events per second of event time: event n is at base_time + n * 1000 / rate ms.
  uint64_t rate = 1000000;
  /// Event time of event 0 (2023-11-14 22:13:20 UTC).
  int64_t base_time = 1700000000000;
};

/// Which kind event number n is: 1 person, 3 auctions, 46 bids per 50.
enum class event_kind : uint8_t { person, auction, bid };
event_kind kind_of(uint64_t n) noexcept;

/// Three events, one of each kind, for generator::at(n, reuse).
std::array<event, 3> reusable_events();

/// Generates events by number. Deterministic for a config: the same n gives
/// the same event in any process, subtask or order. Immutable after
/// construction, so one generator may be shared by threads.
class generator {
public:
  explicit generator(generator_config config);

  const generator_config& config() const noexcept { return config_; }

  /// Event n's time in ms since the epoch.
  int64_t time_of(uint64_t n) const noexcept;

  /// Event n, written into `out` (its strings reuse their capacity).
  void person_at(uint64_t n, person& out) const;
  void auction_at(uint64_t n, auction& out) const;
  void bid_at(uint64_t n, bid& out) const;
  event at(uint64_t n) const;
  /// Event n written into the one of `reuse` of its kind (index 0 a person,
  /// 1 an auction, 2 a bid), reusing its strings' memory; returns that one.
  const event& at(uint64_t n, std::array<event, 3>& reuse) const;

private:
  generator_config config_;
  std::vector<std::string> urls_; // one per channel: hot ones first, then channel-<i>
};

} // namespace weir::nexmark
