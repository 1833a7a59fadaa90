// Rich functions: a user function object's open(subtask_info) runs once
// before its first record, close() once after its last: at the end of
// input, or when the task is torn down; stepped through the task.

#include <catch2/catch.hpp>

#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/aggregates.hpp"
#include "support/fake_transport.hpp"
#include "weir/sinks.hpp"
#include "weir/stream.hpp"
#include "weir/windows.hpp"

using namespace weir;

namespace {

struct lifecycle_log {
  std::mutex m;
  std::vector<std::string> events;
  void add(std::string e) {
    std::lock_guard<std::mutex> guard(m);
    events.push_back(std::move(e));
  }
};

/// A map that says when it is opened and closed, and how many records it saw.
struct tracked_map {
  std::shared_ptr<lifecycle_log> log;
  bool opened = false;
  int64_t seen = 0;
  void open(const subtask_info& info) {
    opened = true;
    log->add("open " + info.name());
  }
  int64_t operator()(const int64_t& x) {
    if (!opened) log->add("record before open");
    ++seen;
    return x * 2;
  }
  void close() { log->add("close after " + std::to_string(seen)); }
};

/// An aggregate function with close() only (open() is optional).
struct closing_count : test::count_aggregate {
  std::shared_ptr<lifecycle_log> log;
  void close() { log->add("aggregate closed"); }
};

struct mapped_job {
  environment env;
  std::shared_ptr<lifecycle_log> log = std::make_shared<lifecycle_log>();
  std::unique_ptr<test::stepped_task> task;
  mapped_job() {
    env.from_collection<int64_t>({1}).uid("src")
        .map(tracked_map{log}).uid("double")
        .sink(collect_sink(std::make_shared<collected<int64_t>>())).uid("out");
    runtime_options o;
    o.batch_size = 1;
    task = std::make_unique<test::stepped_task>(env, 1, o);
  }
};

} // namespace

TEST_CASE("a function object's open runs before its first record and close after its last, once each",
          "[unit][lifecycle]") {
  mapped_job job;
  auto& t = *job.task;
  REQUIRE(job.log->events.empty()); // built, not opened
  REQUIRE_FALSE(t->start());
  REQUIRE(job.log->events == std::vector<std::string>{"open double[0/1]"});
  REQUIRE_FALSE(t->on_credit(0, 10));
  REQUIRE_FALSE(t->on_frame(0, test::int_frame(0, 0, {{3, 1}, {4, 2}})));
  REQUIRE_FALSE(t->on_frame(0, detail::make_end_of_input_frame(0, 1)));
  CHECK(job.log->events == std::vector<std::string>{"open double[0/1]", "close after 2"});
  job.task.reset(); // torn down after a normal end: not closed twice
  CHECK(job.log->events.size() == 2);
}

TEST_CASE("a task torn down mid-run (cancel, failure, restart) closes its open functions",
          "[unit][lifecycle]") {
  mapped_job job;
  auto& t = *job.task;
  REQUIRE_FALSE(t->start());
  REQUIRE_FALSE(t->on_credit(0, 10));
  REQUIRE_FALSE(t->on_frame(0, test::int_frame(0, 0, {{3, 1}})));
  job.task.reset();
  CHECK(job.log->events == std::vector<std::string>{"open double[0/1]", "close after 1"});
}

TEST_CASE("a window's aggregate function is closed at the end of input", "[unit][lifecycle]") {
  environment env;
  auto log = std::make_shared<lifecycle_log>();
  env.from_collection<int64_t>({1}).uid("src")
      .key_by([](int64_t) { return 0; })
      .window(tumbling_event_time_windows::of(std::chrono::milliseconds(10)))
      .aggregate(closing_count{{}, log}).uid("count")
      .sink(collect_sink(std::make_shared<collected<int64_t>>())).uid("out");
  runtime_options o;
  o.batch_size = 1;
  test::stepped_task t(env, 1, o);
  REQUIRE_FALSE(t->start());
  REQUIRE_FALSE(t->on_credit(0, 10));
  REQUIRE_FALSE(t->on_frame(0, test::int_frame(0, 0, {{7, 1}})));
  CHECK(log->events.empty());
  REQUIRE_FALSE(t->on_frame(0, detail::make_end_of_input_frame(0, 1)));
  CHECK(t.tr.values() == std::vector<int64_t>{1}); // the window fired before the close
  CHECK(log->events == std::vector<std::string>{"aggregate closed"});
}

TEST_CASE("an open that throws fails the task, naming the operator", "[unit][lifecycle]") {
  struct refusing {
    void open(const subtask_info&) { throw std::runtime_error("no connection"); }
    int64_t operator()(const int64_t& x) const { return x; }
  };
  environment env;
  env.from_collection<int64_t>({1}).uid("src")
      .map(refusing{}).uid("enrich")
      .sink(collect_sink(std::make_shared<collected<int64_t>>())).uid("out");
  test::stepped_task t(env, 1);
  auto err = t->start();
  REQUIRE(err);
  CHECK_THAT(err.message(), Catch::Contains("enrich[0/1]") && Catch::Contains("no connection"));
}

namespace {

/// A count or global window's function: sums a window's records, saying
/// when it is opened and closed and how many windows it fired.
struct tracked_window_fn {
  std::shared_ptr<lifecycle_log> log;
  bool opened = false;
  int64_t fired = 0;
  void open(const subtask_info& info) {
    opened = true;
    log->add("open " + info.name());
  }
  void operator()(const int64_t&, const std::vector<int64_t>& records, emitter<int64_t>& out) {
    if (!opened) log->add("fired before open");
    ++fired;
    int64_t sum = 0;
    for (auto r : records) sum += r;
    out.emit(sum);
  }
  void close() { log->add("close after " + std::to_string(fired)); }
};

/// A reduce function with close() only.
struct closing_sum {
  std::shared_ptr<lifecycle_log> log;
  int64_t operator()(const int64_t& a, const int64_t& b) const { return a + b; }
  void close() { log->add("reduce closed"); }
};

/// Steps task 1 (the window) through records 1, 2, 3, 4 at times 1 to 4, a
/// watermark at 9 and the end of input; returns what the window emitted.
std::vector<int64_t> step_window_task(environment& env) {
  runtime_options o;
  o.batch_size = 1;
  test::stepped_task t(env, 1, o);
  REQUIRE_FALSE(t->start());
  REQUIRE_FALSE(t->on_credit(0, 10));
  REQUIRE_FALSE(t->on_frame(0, test::int_frame(0, 0, {{1, 1}, {2, 2}, {3, 3}, {4, 4}})));
  REQUIRE_FALSE(t->on_frame(0, detail::make_watermark_frame(0, 1, 9)));
  REQUIRE_FALSE(t->on_frame(0, detail::make_end_of_input_frame(0, 2)));
  return t.tr.values();
}

} // namespace

TEST_CASE("count and global windows open and close their function objects once, the one that fires",
          "[unit][lifecycle]") {
  environment env;
  auto log = std::make_shared<lifecycle_log>();
  auto keyed = env.from_collection<int64_t>({1}).uid("src").key_by([](int64_t) { return 0; });
  std::vector<int64_t> want;
  std::vector<std::string> events;
  SECTION("a count window's process function, sliding") {
    keyed.count_window(2, 1).process(tracked_window_fn{log}).uid("w").sink(collect_sink(std::make_shared<collected<int64_t>>())).uid("out");
    want = {1, 3, 5, 7};
    events = {"open w[0/1]", "close after 4"};
  }
  SECTION("a count window's reduce function, tumbling") {
    keyed.count_window(2).reduce(closing_sum{log}).uid("w").sink(collect_sink(std::make_shared<collected<int64_t>>())).uid("out");
    want = {3, 7};
    events = {"reduce closed"};
  }
  SECTION("a count window's aggregate function, sliding") {
    keyed.count_window(3, 2).aggregate(closing_count{{}, log}).uid("w").sink(collect_sink(std::make_shared<collected<int64_t>>())).uid("out");
    want = {2, 3};
    events = {"aggregate closed"};
  }
  SECTION("a global window firing only on its timers") {
    keyed.global_window(global_trigger<int64_t>::event_time_every(std::chrono::milliseconds(5)))
        .process(tracked_window_fn{log}).uid("w").sink(collect_sink(std::make_shared<collected<int64_t>>())).uid("out");
    want = {10};
    events = {"open w[0/1]", "close after 1"}; // the timer fired the opened object
  }
  CHECK(step_window_task(env) == want);
  CHECK(log->events == events);
}
