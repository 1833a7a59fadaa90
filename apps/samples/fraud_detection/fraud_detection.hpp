#pragma once

// Fraud detection, after Flink's DataStream walkthrough: per account, a
// transaction under 1.00 followed within a minute (event time) by one over
// 500.00 raises an alert. Keyed state holds the small transaction; an
// event-time timer a minute later clears it. Transactions are taken in
// event-time order per account (buffered until the watermark passes them),
// so the alerts do not depend on arrival order or parallelism.

#include <cstdint>
#include <string>

#include "weir/codec.hpp"
#include "weir/stream.hpp"

namespace fraud {

struct transaction {
  int64_t account = 0;
  int64_t cents = 0;   ///< The amount, in cents.
  int64_t time_ms = 0; ///< Event time.
  bool operator==(const transaction& o) const {
    return account == o.account && cents == o.cents && time_ms == o.time_ms;
  }
};

} // namespace fraud

template <>
struct weir::codec<fraud::transaction> {
  static std::string type_name() { return "fraud.transaction"; }
  static void encode(const fraud::transaction& t, byte_writer& out) {
    codec<int64_t>::encode(t.account, out);
    codec<int64_t>::encode(t.cents, out);
    codec<int64_t>::encode(t.time_ms, out);
  }
  static fraud::transaction decode(byte_reader& in) {
    fraud::transaction t;
    t.account = codec<int64_t>::decode(in);
    t.cents = codec<int64_t>::decode(in);
    t.time_ms = codec<int64_t>::decode(in);
    return t;
  }
};

namespace fraud {

constexpr int64_t small_below_cents = 100;   ///< under 1.00
constexpr int64_t large_above_cents = 50000; ///< over 500.00
constexpr int64_t window_ms = 60000;         ///< within a minute

/// The detector: alert lines (alert_line) for `transactions`, which it
/// gives event time (their time_ms, at most 1 s out of order).
weir::stream<std::string> detect(weir::stream<transaction> transactions);

/// The i-th generated transaction of `accounts` accounts: one every 50 ms of
/// event time, accounts and amounts from a hash of i (about 3% small, 1%
/// large), so every run and every parallelism sees the same ones.
transaction generated(uint64_t i, int64_t accounts);

/// "account=17 small=0.42@123450 large=734.00@145600": an alert's line.
std::string alert_line(const transaction& small, const transaction& large);

/// Registers the job "fraud-detection" (weir::register_job) with its
/// options: --transactions N (default 200000), --accounts N (default 1000),
/// --output DIR (default out/fraud-detection; alert lines in part files,
/// written exactly once).
void register_fraud_detection();

} // namespace fraud
