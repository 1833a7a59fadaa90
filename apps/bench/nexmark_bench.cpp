#include "bench/nexmark_bench.hpp"

#include <malloc.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <thread>

#include "nexmark/baseline.hpp"
#include "nexmark/generator_source.hpp"
#include "nexmark/queries.hpp"
#include "weir/stream.hpp"

namespace weir::apps::bench {

namespace {

using nexmark::event;

uint64_t hash_bytes(const std::string& s) noexcept {
  uint64_t h = 0xcbf29ce484222325ull; // FNV-1a, then a finalizer to spread it
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ull;
  h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ull;
  h = (h ^ (h >> 27)) * 0x94d049bb133111ebull;
  return h ^ (h >> 31);
}

double rss_mib() {
  long pages = 0, resident = 0;
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  int got = std::fscanf(f, "%ld %ld", &pages, &resident);
  std::fclose(f);
  return got == 2 ? static_cast<double>(resident) * static_cast<double>(::sysconf(_SC_PAGESIZE)) / (1 << 20) : 0;
}

/// Samples the resident set every 10 ms on its own thread while it lives.
class rss_sampler {
public:
  rss_sampler() : thread_([this] { run(); }) {}
  ~rss_sampler() { stop(); }
  double stop() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      done_ = true;
    }
    wake_.notify_one();
    if (thread_.joinable()) thread_.join();
    return peak_;
  }

private:
  void run() {
    std::unique_lock<std::mutex> lock(mutex_);
    do peak_ = std::max(peak_, rss_mib());
    while (!wake_.wait_for(lock, std::chrono::milliseconds(10), [this] { return done_; }));
    peak_ = std::max(peak_, rss_mib());
  }
  std::mutex mutex_;
  std::condition_variable wake_;
  bool done_ = false;
  double peak_ = 0;
  std::thread thread_;
};

/// Times `body` (wall, CPU, peak RSS). Memory freed by earlier runs is
/// handed back to the system first, so the peak is this run's (plus what the
/// process holds anyway: the replayed events, the generator's url table).
template <class F>
nexmark_run measured(F&& body) {
  ::malloc_trim(0);
  nexmark_run run;
  rss_sampler rss;
  double cpu = process_cpu_seconds();
  auto start = std::chrono::steady_clock::now();
  body(run);
  run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  run.cpu_seconds = process_cpu_seconds() - cpu;
  run.peak_rss_mib = rss.stop();
  return run;
}

struct fold_lines final : nexmark::line_sink {
  explicit fold_lines(line_fold fold) : fold_(fold) {}
  fold_result acc;
  void take(const std::string& line) override { fold_(acc, line); }

private:
  line_fold fold_;
};

/// Folds its subtask's lines locally and publishes them once at the end (see
/// pipeline_bench's fold_sink).
class fold_line_sink final : public sink_function<std::string> {
public:
  fold_line_sink(std::shared_ptr<std::vector<fold_result>> slots, line_fold fold)
    : slots_(std::move(slots)), fold_(fold) {}
  void open(const subtask_info& info) override { index_ = info.index; }
  void write(const std::string& line) override { fold_(acc_, line); }
  void end_of_input() override { slots_->at(index_) = acc_; }

private:
  std::shared_ptr<std::vector<fold_result>> slots_;
  line_fold fold_;
  uint32_t index_ = 0;
  fold_result acc_;
};

int64_t time_of(const event& e) {
  return nexmark::event_time(e);
}
int64_t time_of(const nexmark::event_record& e) {
  return nexmark::event_time(e.get());
}

/// Replays pre-generated events (structs or records), each stamped with its event time.
template <class T>
class replay_source final : public nexmark::strided_source<T> {
public:
  explicit replay_source(std::shared_ptr<const std::vector<T>> events)
    : nexmark::strided_source<T>(events->size()), events_(std::move(events)) {}
  source_status poll(emitter<T>& out, size_t max_records) override {
    return this->emit_share(max_records, [&](uint64_t n) {
      const auto& e = (*events_)[n];
      out.set_timestamp(time_of(e));
      out.emit(e);
    });
  }

private:
  std::shared_ptr<const std::vector<T>> events_;
};

template <class T>
stream<T> replayed(environment& env, std::shared_ptr<const std::vector<T>> events) {
  return env.add_source<T>([events] { return std::make_unique<replay_source<T>>(events); }, "replay")
    .uid("replay")
    .assign_timestamps_and_watermarks(watermark_strategy<T>::for_monotonous_timestamps())
    .uid("event-time");
}

expected<stream<std::string>> query_lines(environment& env, const nexmark_config& config);

/// A temporary state dir, removed with its contents when it goes.
struct temp_state_dir {
  std::string path;
  temp_state_dir() {
    char templ[] = "/tmp/weir-bench-nexmark-XXXXXX";
    if (::mkdtemp(templ) != nullptr) path = templ;
  }
  ~temp_state_dir() {
    std::error_code ec;
    if (!path.empty()) std::filesystem::remove_all(path, ec);
  }
};

/// q13 joins a table of 10,000 keys, one value each (every bid matches).
nexmark::query_inputs inputs_of(const nexmark_config&) {
  static const auto side = nexmark::synthetic_side_input(10000);
  return {side};
}

/// The query's lines over the configured events: struct events or Cap'n
/// Proto records, generated in the source or replayed.
expected<stream<std::string>> query_lines(environment& env, const nexmark_config& config) {
  if (config.capnp_records)
    return nexmark::apply_record_query(
      config.query, config.replay_records ? replayed(env, config.replay_records)
                                          : nexmark::generated_event_records(env, config.generator, config.events));
  auto events = config.replay ? replayed(env, config.replay)
                              : nexmark::generated_events(env, config.generator, config.events);
  return nexmark::apply_query(config.query, events, inputs_of(config));
}

} // namespace

void fold_line(fold_result& acc, const std::string& line) noexcept {
  ++acc.count;
  acc.checksum += hash_bytes(line);
}

void fold_bidder_total(fold_result& acc, const std::string& line) noexcept {
  auto comma = line.find(',');
  auto count = std::strtoull(line.c_str() + comma + 1, nullptr, 10);
  acc.count += count;
  acc.checksum += count * hash_bytes(line.substr(0, comma));
}

line_fold fold_for(const std::string& query) noexcept {
  return query == "q12" ? fold_bidder_total : fold_line;
}

__attribute__((noinline)) expected<nexmark_run> run_nexmark_loop(const nexmark_config& config) {
  fold_lines out(fold_for(config.query));
  auto loop = nexmark::make_query_loop(config.query, out, inputs_of(config));
  if (!loop) return error{errc::bad_argument, "no hand-written loop for query '" + config.query + "'"};
  // On a thread of its own, as the job's tasks are: the main thread's malloc
  // arena holds the replayed events, and allocating among them measured 1.5
  // times slower than in a fresh arena.
  auto run = measured([&](nexmark_run&) {
    std::thread([&] {
      if (config.replay) {
        for (const auto& e : *config.replay) loop->add(e);
      } else {
        nexmark::generator gen(config.generator);
        auto reuse = nexmark::reusable_events();
        for (uint64_t n = 0; n < config.events; ++n) loop->add(gen.at(n, reuse));
      }
      loop->finish();
    }).join();
  });
  run.folded = out.acc;
  return run;
}

expected<nexmark_run> run_nexmark_job(const nexmark_config& config) {
  auto slots = std::make_shared<std::vector<fold_result>>(config.parallelism);
  environment env;
  env.set_parallelism(config.parallelism).set_chaining(config.chained);
  env.options().metrics = config.metrics;
  temp_state_dir state;
  if (config.checkpoint_interval_ms > 0) {
    if (state.path.empty()) return error{errc::io, "cannot make a temporary state dir"};
    env.options().checkpoints.interval_ms = config.checkpoint_interval_ms;
    env.options().checkpoints.state_dir = state.path + "/state";
  }
  auto lines = query_lines(env, config);
  if (!lines) return lines.error_value();
  auto fold = fold_for(config.query);
  lines->sink([slots, fold] { return std::make_unique<fold_line_sink>(slots, fold); }).uid("fold");
  job_result result;
  auto run = measured([&](nexmark_run&) { result = env.execute("bench-nexmark-" + config.query); });
  if (!result.ok()) return result.failure;
  for (const auto& slot : *slots) run.folded += slot;
  return run;
}

} // namespace weir::apps::bench
