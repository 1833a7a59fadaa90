// Async I/O stepped through its task with promises the test fulfils and a
// manual clock: results in input order or as they complete, never across
// a watermark; at capacity the task stops reading input; a timeout fails
// or falls back; end of input waits for every result; requests not passed
// on are in the snapshot and issued again after a restore.

#include <catch2/catch.hpp>

#include <algorithm>
#include <future>
#include <stdexcept>
#include <map>
#include <memory>
#include <string>

#include "support/fake_transport.hpp"
#include "weir/clock.hpp"
#include "weir/sinks.hpp"
#include "weir/stream.hpp"

using namespace weir;

namespace {

/// The requests a job's async function started: input -> its promise.
struct requests {
  std::map<int64_t, std::promise<int64_t>> open;
  int started = 0;
  void answer(int64_t input) {
    open.at(input).set_value(input * 10);
    open.erase(input);
  }
};

/// A source (task 0) -> async_map x -> 10x (task 1) -> sink (task 2).
struct async_job {
  environment env;
  manual_clock clock{1000};
  std::shared_ptr<requests> reqs = std::make_shared<requests>();
  std::unique_ptr<test::stepped_task> task;

  explicit async_job(async_options options, bool fallback = false) {
    auto r = reqs;
    auto fn = [r](const int64_t& x) {
      ++r->started;
      return r->open[x].get_future();
    };
    auto src = env.from_collection<int64_t>({1}).uid("src");
    auto mapped = fallback ? src.async_map(fn, options, [](const int64_t& x) { return -x; })
                           : src.async_map(fn, options);
    mapped.uid("lookup").sink(collect_sink(std::make_shared<collected<int64_t>>())).uid("out");
    runtime_options o;
    o.batch_size = 1;
    o.clock = &clock;
    task = std::make_unique<test::stepped_task>(env, 1, o);
  }
  test::stepped_task& t() { return *task; }
  void start() {
    REQUIRE_FALSE(t()->start());
    REQUIRE_FALSE(t()->on_credit(0, 100));
  }
  /// Lets the task look at its requests (what a poll timer does).
  void poll() { REQUIRE_FALSE(t()->on_processing_timer()); }
};

async_options options(size_t capacity, bool ordered) {
  async_options o;
  o.capacity = capacity;
  o.ordered = ordered;
  o.timeout = std::chrono::milliseconds(500);
  return o;
}

} // namespace

TEST_CASE("ordered async results go on in input order, unordered ones as they complete, with their "
          "inputs' timestamps",
          "[unit][async]") {
  for (bool ordered : {true, false}) {
    INFO((ordered ? "ordered" : "unordered"));
    async_job job(options(10, ordered));
    job.start();
    REQUIRE_FALSE(job.t()->on_frame(0, test::int_frame(0, 0, {{1, 100}, {2, 200}, {3, 300}})));
    CHECK(job.reqs->started == 3);
    job.reqs->answer(3);
    job.reqs->answer(2);
    job.poll();
    CHECK(job.t().tr.values() == (ordered ? std::vector<int64_t>{} : std::vector<int64_t>{20, 30}));
    job.reqs->answer(1);
    job.poll();
    CHECK(job.t().tr.values() == (ordered ? std::vector<int64_t>{10, 20, 30} : std::vector<int64_t>{20, 30, 10}));
    CHECK(job.t().tr.view(0).timestamp(0) == (ordered ? 100 : 200));
  }
}

TEST_CASE("a watermark waits for the results of earlier requests, and later results wait for it",
          "[unit][async][watermark]") {
  for (bool ordered : {true, false}) {
    INFO((ordered ? "ordered" : "unordered"));
    async_job job(options(10, ordered));
    job.start();
    REQUIRE_FALSE(job.t()->on_frame(0, test::int_frame(0, 0, {{1, 100}, {2, 200}})));
    REQUIRE_FALSE(job.t()->on_frame(0, detail::make_watermark_frame(0, 1, 250)));
    REQUIRE_FALSE(job.t()->on_frame(0, test::int_frame(0, 2, {{3, 300}})));
    job.reqs->answer(3); // after the watermark: waits for it
    job.reqs->answer(1);
    job.poll();
    CHECK(job.t().tr.kinds() == std::vector<std::string>{"data 10"});
    job.reqs->answer(2);
    job.poll(); // 2 goes on, then the watermark
    job.poll(); // then 3
    CHECK(job.t().tr.kinds() == std::vector<std::string>{"data 10", "data 20", "wm 250", "data 30"});
  }
}

TEST_CASE("at capacity the task reads no more input until a result goes on", "[unit][async][backpressure]") {
  async_job job(options(2, true));
  job.start();
  auto granted = job.t().tr.credits.size(); // the initial window
  REQUIRE_FALSE(job.t()->on_frame(0, test::int_frame(0, 0, {{1, 100}, {2, 200}, {3, 300}})));
  CHECK(job.reqs->started == 2);
  CHECK(job.t().tr.credits.size() == granted); // the frame is not done: no credit back upstream
  job.poll();                       // nothing completed: still full
  REQUIRE_FALSE(job.t()->on_resume());
  CHECK(job.reqs->started == 2);
  job.reqs->answer(1);
  job.poll();
  REQUIRE_FALSE(job.t()->on_resume());
  CHECK(job.reqs->started == 3);
  CHECK(job.t().tr.credits.size() == granted + 1);
  CHECK(job.t().tr.values() == std::vector<int64_t>{10});
}

TEST_CASE("a request past its timeout fails the job naming the operator, or takes the fallback",
          "[unit][async][timeout]") {
  SECTION("fails") {
    async_job job(options(10, true));
    job.start();
    REQUIRE_FALSE(job.t()->on_frame(0, test::int_frame(0, 0, {{1, 100}})));
    job.clock.advance(499);
    job.poll(); // not yet
    job.clock.advance(1);
    auto err = job.t()->on_processing_timer();
    REQUIRE(err);
    CHECK_THAT(err.message(), Catch::Contains("lookup") && Catch::Contains("timed out after 500 ms"));
  }
  SECTION("falls back") {
    async_job job(options(10, false), true);
    job.start();
    REQUIRE_FALSE(job.t()->on_frame(0, test::int_frame(0, 0, {{1, 100}, {2, 200}})));
    job.reqs->answer(2);
    job.clock.advance(500);
    job.poll();
    CHECK(job.t().tr.values() == std::vector<int64_t>{-1, 20});
  }
  SECTION("an exception from the future fails the job naming the operator") {
    async_job job(options(10, true));
    job.start();
    REQUIRE_FALSE(job.t()->on_frame(0, test::int_frame(0, 0, {{1, 100}})));
    job.reqs->open.at(1).set_exception(std::make_exception_ptr(std::runtime_error("no such customer")));
    auto err = job.t()->on_processing_timer();
    REQUIRE(err);
    CHECK_THAT(err.message(), Catch::Contains("lookup") && Catch::Contains("no such customer"));
  }
}

TEST_CASE("end of input waits for every result", "[unit][async]") {
  async_job job(options(10, true));
  job.start();
  REQUIRE_FALSE(job.t()->on_frame(0, test::int_frame(0, 0, {{1, 100}})));
  auto resumes = job.t().tr.resumes;
  REQUIRE_FALSE(job.t()->on_frame(0, detail::make_end_of_input_frame(0, 1)));
  CHECK(job.t().tr.kinds().empty());
  CHECK(job.t().tr.resumes == resumes); // it waits for its timer, not spinning on resumes
  auto timers = job.t().tr.timers;
  job.poll(); // nothing yet: it asks for its timer again
  CHECK(job.t().tr.timers > timers);
  CHECK(job.t().tr.kinds().empty());
  job.reqs->answer(1);
  job.poll();
  CHECK(job.t().tr.kinds() == std::vector<std::string>{"data 10", "end"});
}

TEST_CASE("requests not passed on are in the snapshot and issued again after a restore",
          "[unit][async][state]") {
  async_job job(options(10, false));
  job.start();
  REQUIRE_FALSE(job.t()->on_frame(0, test::int_frame(0, 0, {{1, 100}, {2, 200}, {3, 300}})));
  job.reqs->answer(2);
  job.poll();
  REQUIRE_FALSE(job.t()->on_frame(0, detail::make_barrier_frame(0, 1, 1)));
  REQUIRE(job.t().tr.snapshots.size() == 1);
  auto snap = detail::decode_task_snapshot(
    std::string_view(job.t().tr.snapshots[0].second.data(), job.t().tr.snapshots[0].second.size()));
  REQUIRE(snap);

  async_job again(options(10, false));
  REQUIRE_FALSE(again.t()->restore(*snap));
  again.start();
  again.poll();
  CHECK(again.reqs->started == 2); // 1 and 3, not 2
  again.reqs->answer(3);
  again.reqs->answer(1);
  again.poll();
  auto values = again.t().tr.values();
  std::sort(values.begin(), values.end());
  CHECK(values == std::vector<int64_t>{10, 30});
  CHECK(again.t().tr.view(0).timestamp(0) == 100);
}

namespace {

/// The snapshot of "lookup" in a task's snapshot `i`.
detail::operator_snapshot lookup_state(const test::fake_transport& tr, size_t i = 0) {
  auto snap = detail::decode_task_snapshot(std::string_view(tr.snapshots[i].second.data(), tr.snapshots[i].second.size()));
  REQUIRE(snap);
  for (auto& op : snap->operators)
    if (op.uid == "lookup") return op;
  FAIL("no state of lookup");
  return {};
}

} // namespace

TEST_CASE("a watermark held at a checkpoint holds back the same results after a restore",
          "[unit][async][state][watermark]") {
  async_job job(options(10, false));
  job.start();
  REQUIRE_FALSE(job.t()->on_frame(0, test::int_frame(0, 0, {{1, 100}, {2, 200}})));
  REQUIRE_FALSE(job.t()->on_frame(0, detail::make_watermark_frame(0, 1, 250)));
  REQUIRE_FALSE(job.t()->on_frame(0, test::int_frame(0, 2, {{3, 300}})));
  REQUIRE_FALSE(job.t()->on_frame(0, detail::make_barrier_frame(0, 3, 1)));
  detail::task_snapshot restored;
  restored.task = 1;
  restored.operators.push_back(lookup_state(job.t().tr));

  async_job again(options(10, false));
  REQUIRE_FALSE(again.t()->restore(restored));
  again.start();
  again.poll();
  REQUIRE(again.reqs->started == 3);
  again.reqs->answer(3);
  again.reqs->answer(1);
  again.poll();
  again.reqs->answer(2);
  again.poll();
  again.poll();
  CHECK(again.t().tr.kinds() == std::vector<std::string>{"data 10", "data 20", "wm 250", "data 30"});
}

TEST_CASE("restored at another parallelism, a subtask issues the old subtasks' requests within its "
          "capacity, from the least of their watermarks",
          "[unit][async][state][rescale]") {
  auto old_subtask = [](int64_t wm, std::vector<std::pair<int64_t, int64_t>> records) {
    async_job job(options(10, true));
    job.start();
    REQUIRE_FALSE(job.t()->on_frame(0, detail::make_watermark_frame(0, 0, wm)));
    REQUIRE_FALSE(job.t()->on_frame(0, test::int_frame(0, 1, records)));
    REQUIRE_FALSE(job.t()->on_frame(0, detail::make_barrier_frame(0, 2, 1)));
    return lookup_state(job.t().tr).operator_state;
  };
  auto zero = old_subtask(100, {{1, 110}, {2, 120}});
  auto one = old_subtask(300, {{3, 310}});
  detail::operator_snapshot merged;
  merged.uid = "lookup";
  merged.rescaled = {{0, zero}, {1, one}};
  merged.rescaled_from = 2;
  detail::task_snapshot restored;
  restored.task = 1;
  restored.operators.push_back(merged);

  async_job job(options(2, true));
  REQUIRE_FALSE(job.t()->restore(restored));
  job.start();
  job.poll();
  CHECK(job.reqs->started == 2); // its capacity, not the three restored
  job.reqs->answer(1);
  job.reqs->answer(2);
  job.poll();
  CHECK(job.reqs->started == 3);
  job.reqs->answer(3);
  job.poll();
  REQUIRE_FALSE(job.t()->on_frame(0, detail::make_watermark_frame(0, 0, 500)));
  // The least old watermark goes on first (old subtask 1's 300 is not the least), then the results, in order.
  CHECK(job.t().tr.kinds() == std::vector<std::string>{"wm 100", "data 10", "data 20", "data 30", "wm 500"});
}

TEST_CASE("a task owing async results does not go idle until they went", "[unit][async][watermark]") {
  async_job job(options(10, true));
  job.start();
  REQUIRE_FALSE(job.t()->on_frame(0, test::int_frame(0, 0, {{1, 100}})));
  REQUIRE_FALSE(job.t()->on_frame(0, detail::make_idle_frame(0, 1)));
  CHECK(job.t().tr.kinds().empty()); // consumers must not leave it out of event time yet
  job.reqs->answer(1);
  job.poll();
  CHECK(job.t().tr.kinds() == std::vector<std::string>{"data 10", "idle"});
}

TEST_CASE("results held back by credit, and the watermark they hold, go on once credit comes",
          "[unit][async][watermark][backpressure]") {
  async_job job(options(10, true));
  REQUIRE_FALSE(job.t()->start());
  REQUIRE_FALSE(job.t()->on_credit(0, 1)); // room for one frame of one record
  REQUIRE_FALSE(job.t()->on_frame(0, test::int_frame(0, 0, {{1, 100}, {2, 200}})));
  REQUIRE_FALSE(job.t()->on_frame(0, detail::make_watermark_frame(0, 1, 250)));
  job.reqs->answer(1);
  job.reqs->answer(2);
  job.poll(); // 10 goes on; 20 waits for credit, the watermark behind it
  CHECK(job.t().tr.kinds() == std::vector<std::string>{"data 10"});
  CHECK(job.t()->blocked_outputs() == 1);
  REQUIRE_FALSE(job.t()->on_credit(0, 10));
  CHECK(job.t().tr.kinds() == std::vector<std::string>{"data 10", "data 20", "wm 250"});
}
