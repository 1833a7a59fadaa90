#include <catch2/catch.hpp>

#include "support/fake_transport.hpp"
#include "support/temp_dir.hpp"
#include "task_core.hpp"
#include "weir/codec.hpp"
#include "weir/sinks.hpp"
#include "weir/stream.hpp"

using namespace weir;
using runtime::task_core;

namespace {

using test::fake_transport;

/// collection(0..n-1) -> map(x + 1) -> sink, parallelism 1: tasks 0, 1, 2.
struct three_stage_job {
  environment env;
  detail::physical_plan plan;
  runtime_options options;

  explicit three_stage_job(int64_t n) {
    std::vector<int64_t> values(n);
    for (int64_t i = 0; i < n; ++i) values[i] = i;
    env.from_collection(values).uid("src")
      .map([](int64_t x) { return x + 1; }).uid("inc")
      .sink(collect_sink(std::make_shared<collected<int64_t>>())).uid("out");
    plan = *detail::make_plan(env.graph());
    options.batch_size = 10;
    options.credit_window = 2;
  }
  std::unique_ptr<task_core> task(uint32_t t, fake_transport& tr) {
    return std::make_unique<task_core>(env.graph(), plan, t, options, tr);
  }
};

std::vector<char> data_frame(uint32_t channel, uint64_t seq, std::vector<int64_t> values) {
  detail::batch_builder b;
  for (auto v : values) b.add(detail::no_timestamp, [&](std::string& p) { encode_value(v, p); });
  return b.seal(channel, seq);
}

} // namespace

TEST_CASE("a source sends nothing without credit and blocks", "[unit][task]") {
  three_stage_job job(100);
  fake_transport tr;
  auto src = job.task(0, tr);
  REQUIRE_FALSE(src->start());
  CHECK(tr.resumes == 1);
  REQUIRE_FALSE(src->on_resume());
  CHECK(tr.frames.empty());
  CHECK(src->blocked_outputs() == 1);
}

TEST_CASE("a source sends exactly one full batch per credit, in order", "[unit][task]") {
  three_stage_job job(100);
  fake_transport tr;
  auto src = job.task(0, tr);
  REQUIRE_FALSE(src->start());
  REQUIRE_FALSE(src->on_resume());
  REQUIRE_FALSE(src->on_credit(0, 2));
  REQUIRE(tr.frames.size() == 2);
  CHECK(tr.records(0) == std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
  CHECK(tr.records(1).front() == 10);
  int64_t granted = 2;
  while (!tr.done) {
    REQUIRE(granted < 100); // the source must finish with 10 data frames
    REQUIRE_FALSE(src->on_credit(0, 1));
    ++granted;
    size_t data_frames = 0;
    for (size_t i = 0; i < tr.frames.size(); ++i) data_frames += tr.is_end_of_input(i) ? 0 : 1;
    REQUIRE(static_cast<int64_t>(data_frames) <= granted); // never beyond credit
  }
  CHECK(tr.frames.size() == 11);
  CHECK(tr.is_end_of_input(10));
  CHECK(tr.stats.source_records == 100);
  CHECK(tr.stats.records_out == 100);
}

TEST_CASE("a task yields after its record budget", "[unit][task]") {
  three_stage_job job(100);
  job.options.records_per_turn = 25;
  fake_transport tr;
  auto src = job.task(0, tr);
  REQUIRE_FALSE(src->start());
  REQUIRE_FALSE(src->on_credit(0, 100));
  REQUIRE_FALSE(src->on_resume());
  CHECK(tr.frames.size() == 2); // 25 records: two full batches, the third partly filled
  CHECK(tr.resumes == 2);       // asked to continue later instead of looping on
}

TEST_CASE("a consumer grants its window, returns credit per frame and flushes on timeout",
          "[unit][task]") {
  three_stage_job job(0);
  fake_transport tr;
  auto inc = job.task(1, tr);
  REQUIRE_FALSE(inc->start());
  REQUIRE(tr.credits == std::vector<std::pair<uint32_t, uint32_t>>{{0, 2}});
  REQUIRE_FALSE(inc->on_credit(0, 2));
  REQUIRE_FALSE(inc->on_frame(0, data_frame(0, 0, {1, 2, 3})));
  CHECK(tr.credits.back() == std::pair<uint32_t, uint32_t>{0, 1});
  CHECK(tr.frames.empty()); // a partial batch waits for the buffer timeout
  CHECK(tr.flushes == 1);
  REQUIRE_FALSE(inc->on_flush_timer());
  REQUIRE(tr.frames.size() == 1);
  CHECK(tr.records(0) == std::vector<int64_t>{2, 3, 4});
}

TEST_CASE("a blocked consumer holds its input and returns no credit", "[unit][task]") {
  three_stage_job job(0);
  fake_transport tr;
  auto inc = job.task(1, tr);
  REQUIRE_FALSE(inc->start());
  std::vector<int64_t> ten(10, 1);
  REQUIRE_FALSE(inc->on_frame(0, data_frame(0, 0, ten))); // fills one batch, no credit downstream
  REQUIRE_FALSE(inc->on_frame(0, data_frame(0, 1, ten)));
  CHECK(inc->queued_frames() == 1);
  CHECK(tr.credits.size() == 2); // the window, and one frame returned; the second is held
  REQUIRE_FALSE(inc->on_credit(0, 1));
  CHECK(inc->queued_frames() == 0);
  CHECK(tr.credits.size() == 3);
}

TEST_CASE("end of input drains, forwards end of input and finishes", "[unit][task]") {
  three_stage_job job(0);
  fake_transport tr;
  auto inc = job.task(1, tr);
  REQUIRE_FALSE(inc->start());
  REQUIRE_FALSE(inc->on_frame(0, data_frame(0, 0, {5})));
  REQUIRE_FALSE(inc->on_frame(0, detail::make_end_of_input_frame(0, 1)));
  CHECK_FALSE(tr.done); // the last partial batch still needs credit
  REQUIRE_FALSE(inc->on_credit(0, 1));
  REQUIRE(tr.frames.size() == 2);
  CHECK(tr.records(0) == std::vector<int64_t>{6});
  CHECK(tr.is_end_of_input(1));
  CHECK(tr.done);
}

TEST_CASE("protocol violations are errors naming the task and input", "[unit][task]") {
  three_stage_job job(0);
  fake_transport tr;
  auto inc = job.task(1, tr);
  REQUIRE_FALSE(inc->start());
  SECTION("a frame out of sequence") {
    auto err = inc->on_frame(0, data_frame(0, 1, {1}));
    CHECK(err.code() == errc::protocol);
    CHECK(err.message() == "inc[0/1] input 0: expected frame 0, got 1");
  }
  SECTION("a frame beyond the granted credit") {
    // The first frame fills a batch nobody has credit for: the task blocks,
    // returns that frame's credit, then holds the next two (window 2).
    std::vector<int64_t> ten(10, 1);
    for (uint64_t seq = 0; seq < 3; ++seq) REQUIRE_FALSE(inc->on_frame(0, data_frame(0, seq, ten)));
    auto err = inc->on_frame(0, data_frame(0, 3, ten));
    CHECK(err.message() == "inc[0/1] input 0: data frame sent without credit");
  }
  SECTION("bytes that are not a frame") {
    auto err = inc->on_frame(0, std::vector<char>(24, '\x7f'));
    CHECK(err.code() == errc::malformed_frame);
    CHECK_THAT(err.message(), Catch::StartsWith("inc[0/1] input 0: "));
  }
  SECTION("a record its codec rejects") {
    detail::batch_builder b;
    b.add(detail::no_timestamp, [](std::string& p) { p += "abc"; }); // 3 bytes, not an int64
    auto err = inc->on_frame(0, b.seal(0, 0));
    CHECK(err.code() == errc::malformed_record);
    CHECK_THAT(err.message(), Catch::Contains("record 0 of frame 0 on channel 0"));
  }
}

TEST_CASE("a user function that throws fails naming operator and subtask", "[unit][task]") {
  environment env;
  env.from_collection<int64_t>({1, 2, 3}).uid("src")
    .map([](int64_t x) -> int64_t {
      if (x == 2) throw std::runtime_error("two is not allowed");
      return x;
    })
    .uid("picky")
    .sink(collect_sink(std::make_shared<collected<int64_t>>())).uid("out");
  auto plan = *detail::make_plan(env.graph());
  fake_transport tr;
  task_core picky(env.graph(), plan, 1, runtime_options{}, tr);
  REQUIRE_FALSE(picky.start());
  auto err = picky.on_frame(0, data_frame(0, 0, {1, 2, 3}));
  CHECK(err.code() == errc::operator_failed);
  CHECK(err.message() == "picky[0/1]: two is not allowed");
}

// Found when the core was tried as a new user would: control frames need no
// credit, so end of input could reach a file sink before its start and the
// sink closed a file it never opened (a segfault at parallelism 128).
TEST_CASE("frames that arrive before start wait until the task is started",
          "[unit][task][regression]") {
  test::temp_dir dir;
  environment env;
  env.from_collection<std::string>({}).uid("src").sink(file_sink(dir.path())).uid("out");
  test::stepped_task sink(env, 1);
  REQUIRE_FALSE(sink->on_frame(0, detail::make_watermark_frame(0, 0, 5)));
  REQUIRE_FALSE(sink->on_frame(0, detail::make_end_of_input_frame(0, 1)));
  CHECK(sink->queued_frames() == 2);
  CHECK_FALSE(sink.tr.done);
  REQUIRE_FALSE(sink->start());
  CHECK(sink->queued_frames() == 0);
  CHECK(sink.tr.done);
}
