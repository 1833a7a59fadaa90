#include "bench/pipeline_bench.hpp"

#include <sys/resource.h>

#include <memory>
#include <utility>
#include <vector>

#include "weir/stream.hpp"

namespace weir::apps::bench {

namespace {

/// (auction id, price in cents). A pair, so it travels with a built-in codec
/// as two fixed 8-byte fields: the "Int64-only record" case of design.md.
using bid = std::pair<int64_t, int64_t>;

/// splitmix64's finalizer: turns consecutive indices into well-spread bits at
/// a cost of a few cycles, so generating a record is cheap but not free.
inline uint64_t mix(uint64_t x) noexcept {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

inline bid make_bid(uint64_t index) noexcept {
  uint64_t h = mix(index);
  auto auction = static_cast<int64_t>(1000 + (h & 0xffffffff) % 10000);
  auto cents = static_cast<int64_t>(100 + (h >> 32) % 1000000); // $1 .. $10000
  return {auction, cents};
}

/// Nexmark q1's conversion: dollars to euros at 0.908.
inline bid to_euro(const bid& b) noexcept {
  return {b.first, b.second * 908 / 1000};
}

/// Prices are uniform over [0.9, 9080] euros: the reserve keeps about half.
inline bool above_reserve(const bid& b) noexcept {
  return b.second >= 454000;
}

inline void fold(fold_result& acc, const bid& b) noexcept {
  ++acc.count;
  acc.checksum += mix(static_cast<uint64_t>(b.first) << 32 ^ static_cast<uint64_t>(b.second));
}

/// Folds its subtask's records locally and publishes them once at the end,
/// so the per-record path touches no shared memory. Each subtask owns one
/// slot of `slots`; execute() returning orders the writes before the reads.
class fold_sink final : public sink_function<bid> {
public:
  explicit fold_sink(std::shared_ptr<std::vector<fold_result>> slots) : slots_(std::move(slots)) {}

  void open(const subtask_info& info) override { index_ = info.index; }
  void write(const bid& b) override { fold(acc_, b); }
  void end_of_input() override { slots_->at(index_) = acc_; }

private:
  std::shared_ptr<std::vector<fold_result>> slots_;
  uint32_t index_ = 0;
  fold_result acc_;
};

} // namespace

double process_cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

__attribute__((noinline)) fold_result run_loop(uint64_t records) {
  fold_result acc;
  for (uint64_t i = 0; i < records; ++i) {
    bid b = to_euro(make_bid(i));
    if (above_reserve(b)) fold(acc, b);
  }
  return acc;
}

expected<pipeline_run> run_pipeline(const pipeline_config& config, uint64_t records) {
  auto slots = std::make_shared<std::vector<fold_result>>(config.parallelism);
  environment env;
  env.set_parallelism(config.parallelism).set_chaining(config.chained);
  env.options().batch_size = config.batch_size;
  env.options().credit_window = config.credit_window;
  env.options().scheduler_threads = config.scheduler_threads;
  env.options().metrics = config.metrics;
  env.generate(records, [](uint64_t i) { return make_bid(i); }).uid("bids")
    .map([](const bid& b) { return to_euro(b); }).uid("to-euro")
    .filter([](const bid& b) { return above_reserve(b); }).uid("reserve")
    .sink([slots] { return std::make_unique<fold_sink>(slots); }).uid("fold");
  double cpu_before = process_cpu_seconds();
  auto result = env.execute("bench-pipeline");
  double cpu_after = process_cpu_seconds();
  if (!result.ok()) return result.failure;
  pipeline_run run;
  run.seconds = result.seconds;
  run.cpu_seconds = cpu_after - cpu_before;
  run.source_records = result.source_records;
  run.sink_records = result.sink_records;
  for (const auto& slot : *slots) run.folded += slot;
  return run;
}

} // namespace weir::apps::bench
