// Credits bound what a task holds, not only what is on the wire: an operator
// that emits many records for one event (a window firing, timers, a
// flat_map, end of input) stops when its output has no credit and resumes
// when credit returns. Each test drives one task and grants credit a frame
// at a time, checking the frames it holds stay within the bound.

#include <catch2/catch.hpp>

#include <algorithm>
#include <set>

#include "support/fake_transport.hpp"
#include "weir/sinks.hpp"
#include "weir/stream.hpp"

using namespace weir;
using std::chrono::milliseconds;

namespace {

constexpr size_t batch = 10;

runtime_options small_batches() {
  runtime_options o;
  o.batch_size = batch;
  o.credit_window = 4;
  return o;
}

/// src -> timestamps -> key_by(x) -> 10 ms tumbling window counting per key ->
/// out. Task 2 is the window; each key's count is emitted as key * 1000 + count.
struct window_job {
  environment env;
  window_job() {
    env.from_collection<int64_t>({}).uid("src")
      .assign_timestamps_and_watermarks(watermark_strategy<int64_t>::for_monotonous_timestamps())
      .uid("ts")
      .key_by([](int64_t x) { return x; })
      .window(tumbling_event_time_windows::of(milliseconds(10)))
      .process<int64_t>([](const int64_t& key, const time_window&, const std::vector<int64_t>& xs,
                           emitter<int64_t>& out) { out.emit(key * 1000 + static_cast<int64_t>(xs.size())); })
      .uid("window")
      .sink(collect_sink(std::make_shared<collected<int64_t>>())).uid("out");
  }
};

/// Feeds `keys` distinct keys at time 5 into the window task, four frames of keys / 4.
void feed_keys(test::stepped_task& t, int64_t keys) {
  for (uint64_t f = 0; f < 4; ++f) {
    std::vector<std::pair<int64_t, int64_t>> records;
    for (int64_t k = f * keys / 4; k < static_cast<int64_t>((f + 1) * keys / 4); ++k) records.push_back({k, 5});
    REQUIRE_FALSE(t->on_frame(0, test::int_frame(0, f, records)));
  }
}

/// Grants one frame of credit at a time until the task sent `until` frames
/// (or stops sending), recording the most frames it ever held.
size_t drain_one_credit_at_a_time(test::stepped_task& t, size_t until) {
  size_t held = t->pending_output_frames();
  for (size_t guard = 0; t.tr.frames.size() < until && guard < 100000; ++guard) {
    size_t before = t.tr.frames.size();
    REQUIRE_FALSE(t->on_credit(0, 1));
    held = std::max(held, t->pending_output_frames());
    if (t.tr.frames.size() == before) REQUIRE_FALSE(t->on_resume());
  }
  return held;
}

std::vector<int64_t> expected_counts(int64_t keys) {
  std::vector<int64_t> v;
  for (int64_t k = 0; k < keys; ++k) v.push_back(k * 1000 + 1);
  return v;
}

std::vector<int64_t> sorted(std::vector<int64_t> v) {
  std::sort(v.begin(), v.end());
  return v;
}

} // namespace

TEST_CASE("a large window firing into a slow consumer holds at most one sealed frame",
          "[unit][task][backpressure]") {
  constexpr int64_t keys = 4000;
  window_job job;
  test::stepped_task t(job.env, 2, small_batches());
  REQUIRE_FALSE(t->start());
  feed_keys(t, keys);
  REQUIRE_FALSE(t->on_frame(0, detail::make_watermark_frame(0, 4, 100))); // fires 4000 windows
  CHECK(t->pending_output_frames() <= 1); // one full batch waits for credit; firing paused
  CHECK(t->output_watermark() == INT64_MIN); // the watermark waits behind its firing
  size_t held = drain_one_credit_at_a_time(t, keys / batch + 1);
  CHECK(held <= 2);
  auto kinds = t.tr.kinds();
  REQUIRE(kinds.size() == keys / batch + 1);
  CHECK(kinds.back() == "wm 100"); // only after every window fired
  CHECK(sorted(t.tr.values()) == expected_counts(keys));
}

TEST_CASE("end of input fires every window under credit, then ends", "[unit][task][backpressure]") {
  constexpr int64_t keys = 1000;
  window_job job;
  test::stepped_task t(job.env, 2, small_batches());
  REQUIRE_FALSE(t->start());
  feed_keys(t, keys);
  REQUIRE_FALSE(t->on_frame(0, detail::make_end_of_input_frame(0, 4)));
  CHECK(t->pending_output_frames() <= 1);
  CHECK_FALSE(t.tr.done);
  size_t held = drain_one_credit_at_a_time(t, keys / batch + 1);
  CHECK(held <= 2);
  CHECK(t.tr.done);
  CHECK(t.tr.is_end_of_input(t.tr.frames.size() - 1));
  CHECK(sorted(t.tr.values()) == expected_counts(keys));
}

TEST_CASE("a flat_map emitting 10,000 records per input holds one input's output at most",
          "[unit][task][backpressure]") {
  constexpr int64_t fan = 10000;
  environment env;
  env.from_collection<int64_t>({}).uid("src")
    .flat_map([](const int64_t& x, emitter<int64_t>& out) {
      for (int64_t i = 0; i < fan; ++i) out.emit(x * fan + i);
    })
    .uid("explode")
    .sink(collect_sink(std::make_shared<collected<int64_t>>())).uid("out");
  runtime_options o = small_batches();
  o.batch_size = 100;
  test::stepped_task t(env, 1, o);
  REQUIRE_FALSE(t->start());
  REQUIRE_FALSE(t->on_frame(0, test::int_frame(0, 0, {{0, 1}, {1, 1}, {2, 1}})));
  size_t one_input = fan / o.batch_size;
  CHECK(t->pending_output_frames() == one_input); // the first record's output, then it stopped
  size_t held = drain_one_credit_at_a_time(t, 3 * one_input);
  CHECK(held <= one_input + 1);
  auto values = t.tr.values();
  REQUIRE(values.size() == 3 * fan);
  for (int64_t i = 0; i < 3 * fan; ++i) REQUIRE(values[i] == i); // in order, each once
}

TEST_CASE("processing-time timers fire under credit", "[unit][task][backpressure]") {
  constexpr int64_t keys = 500;
  manual_clock clock(1000);
  struct nothing {};
  environment env;
  env.from_collection<int64_t>({}).uid("src")
    .key_by([](int64_t x) { return x; })
    .process<int64_t, nothing>(
      [](const int64_t&, nothing&, keyed_context<int64_t>& ctx, emitter<int64_t>&) {
        ctx.register_processing_time_timer(2000);
      },
      [](int64_t, nothing&, keyed_context<int64_t>& ctx, emitter<int64_t>& out) { out.emit(ctx.key()); })
    .uid("timers")
    .sink(collect_sink(std::make_shared<collected<int64_t>>())).uid("out");
  runtime_options o = small_batches();
  o.clock = &clock;
  test::stepped_task t(env, 1, o);
  REQUIRE_FALSE(t->start());
  for (uint64_t f = 0; f < 4; ++f) {
    std::vector<std::pair<int64_t, int64_t>> records;
    for (int64_t k = f * keys / 4; k < static_cast<int64_t>((f + 1) * keys / 4); ++k) records.push_back({k, 1});
    REQUIRE_FALSE(t->on_frame(0, test::int_frame(0, f, records)));
  }
  clock.set(2000);
  REQUIRE_FALSE(t->on_processing_timer());
  CHECK(t->pending_output_frames() <= 1);
  size_t held = drain_one_credit_at_a_time(t, keys / batch);
  CHECK(held <= 2);
  auto values = sorted(t.tr.values());
  REQUIRE(values.size() == keys);
  for (int64_t k = 0; k < keys; ++k) REQUIRE(values[k] == k);
}

TEST_CASE("watermark and idle frames queued behind a blocked input are coalesced",
          "[unit][task][backpressure]") {
  environment env;
  env.from_collection<int64_t>({}).uid("src")
    .map([](int64_t x) { return x; }).uid("id")
    .sink(collect_sink(std::make_shared<collected<int64_t>>())).uid("out");
  test::stepped_task t(env, 1, small_batches());
  REQUIRE_FALSE(t->start());
  std::vector<std::pair<int64_t, int64_t>> full;
  for (int64_t i = 0; i < static_cast<int64_t>(batch); ++i) full.push_back({i, i});
  REQUIRE_FALSE(t->on_frame(0, test::int_frame(0, 0, full))); // fills a batch nobody has credit for
  REQUIRE_FALSE(t->on_frame(0, test::int_frame(0, 1, full))); // held: the task is blocked
  uint64_t seq = 2;
  for (int64_t wm = 1; wm <= 5000; ++wm) {
    REQUIRE_FALSE(t->on_frame(0, detail::make_watermark_frame(0, seq++, wm)));
    for (int64_t idle = 0; idle < wm % 3; ++idle) REQUIRE_FALSE(t->on_frame(0, detail::make_idle_frame(0, seq++)));
    REQUIRE(t->queued_frames() <= 3); // the held data frame, one watermark, one idle
  }
  REQUIRE_FALSE(t->on_credit(0, 4));
  CHECK(t->queued_frames() == 0);
  CHECK(t->output_watermark() == 5000);
}
