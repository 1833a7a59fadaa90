// Broadcast state, stepped through its task: rules (input 1) change a map
// that events (input 0, keyed or not) and timers read; subtask 0 alone
// writes the map into a snapshot, and a restore hands it to any subtask; a
// map of other types is refused naming the state.

#include <catch2/catch.hpp>

#include <map>
#include <memory>
#include <string>

#include "support/fake_transport.hpp"
#include "weir/sinks.hpp"
#include "weir/stream.hpp"

using namespace weir;

namespace {

struct nothing {};
using factors = std::map<int64_t, int64_t>;

/// Events (task 0) keyed by x % 3 and rules (task 1, parallelism 1) into a
/// keyed broadcast function (tasks 2.. at `parallelism`): a rule r sets
/// factor[r / 100] = r % 100; an event x emits x * factor[x % 10] (x
/// without one), and registers a timer at x that emits 1000 + the number
/// of factors.
void keyed_job(environment& env, uint32_t parallelism, const std::string& state_name = "factors") {
  auto events = env.from_collection<int64_t>({1}).uid("events").parallelism(1);
  auto rules = env.from_collection<int64_t>({1}).uid("rules").parallelism(1);
  broadcast_state_descriptor<int64_t, int64_t> state(state_name);
  events.key_by([](int64_t x) { return x % 3; })
    .connect(rules.broadcast(state))
    .process<int64_t, nothing>(
      [](const int64_t& x, nothing&, const factors& f, keyed_context<int64_t>& ctx, emitter<int64_t>& out) {
        auto it = f.find(x % 10);
        out.emit(x * (it == f.end() ? 1 : it->second));
        ctx.register_event_time_timer(x);
      },
      [](const int64_t& r, factors& f, process_context&, emitter<int64_t>&) { f[r / 100] = r % 100; },
      [](int64_t, nothing&, const factors& f, keyed_context<int64_t>&, emitter<int64_t>& out) {
        out.emit(1000 + static_cast<int64_t>(f.size()));
      })
    .uid("apply")
    .parallelism(parallelism)
    .sink(collect_sink(std::make_shared<collected<int64_t>>()))
    .uid("out")
    .parallelism(1);
}

runtime_options unbatched() {
  runtime_options o;
  o.batch_size = 1;
  return o;
}

/// The broadcast function's snapshot in the task's snapshot `bytes`.
detail::operator_snapshot apply_snapshot(const std::vector<char>& bytes) {
  auto snap = detail::decode_task_snapshot(std::string_view(bytes.data(), bytes.size()));
  REQUIRE(snap);
  for (auto& op : snap->operators)
    if (op.uid == "apply") return op;
  FAIL("no state of apply in the snapshot");
  return {};
}

/// Takes checkpoint 1 on a task whose inputs are channels 0 and 1, which
/// have carried `frames0` and `frames1` frames.
void checkpoint(test::stepped_task& t, uint64_t frames0, uint64_t frames1) {
  auto check = [](error e) {
    INFO(e.to_string());
    REQUIRE_FALSE(e);
  };
  check(t->on_frame(0, detail::make_barrier_frame(0, frames0, 1)));
  check(t->on_frame(1, detail::make_barrier_frame(1, frames1, 1)));
  REQUIRE(t.tr.snapshots.size() == 1);
}

} // namespace

TEST_CASE("rules change the broadcast state that keyed events and their timers read", "[unit][broadcast]") {
  environment env;
  keyed_job(env, 1);
  test::stepped_task t(env, 2, unbatched());
  REQUIRE_FALSE(t->start());
  REQUIRE_FALSE(t->on_credit(0, 100));
  REQUIRE_FALSE(t->on_frame(0, test::int_frame(0, 0, {{12, 12}})));        // no rule yet: 12
  REQUIRE_FALSE(t->on_frame(1, test::int_frame(1, 0, {{203, 5}, {705, 6}}))); // factor[2] = 3, factor[7] = 5
  REQUIRE_FALSE(t->on_frame(0, test::int_frame(0, 1, {{22, 22}, {17, 17}, {11, 11}})));
  CHECK(t.tr.values() == std::vector<int64_t>{12, 66, 85, 11});
  REQUIRE_FALSE(t->on_frame(1, test::int_frame(1, 1, {{204, 7}}))); // factor[2] = 4: replaced
  REQUIRE_FALSE(t->on_frame(0, test::int_frame(0, 2, {{32, 32}})));
  CHECK(t.tr.values().back() == 128);
  REQUIRE_FALSE(t->on_frame(0, detail::make_watermark_frame(0, 3, 100)));
  REQUIRE_FALSE(t->on_frame(1, detail::make_watermark_frame(1, 2, 100)));
  // Timers at 11, 12, 17, 22, 32 each see the two factors.
  auto values = t.tr.values();
  CHECK(std::vector<int64_t>(values.end() - 5, values.end()) == std::vector<int64_t>(5, 1002));
}

TEST_CASE("only subtask 0 writes the broadcast state, and a restore gives it to any subtask",
          "[unit][broadcast][state]") {
  environment env;
  keyed_job(env, 2);
  auto fill = [](test::stepped_task& t) {
    REQUIRE_FALSE(t->start());
    REQUIRE_FALSE(t->on_credit(0, 100));
    REQUIRE_FALSE(t->on_frame(1, test::int_frame(1, 0, {{203, 5}, {705, 6}})));
    checkpoint(t, 0, 1);
  };
  test::stepped_task first(env, 2, unbatched()), second(env, 3, unbatched());
  fill(first);
  fill(second);
  auto zero = apply_snapshot(first.tr.snapshots[0].second);
  auto one = apply_snapshot(second.tr.snapshots[0].second);
  CHECK(zero.subtask == 0);
  CHECK(one.subtask == 1);
  REQUIRE_FALSE(zero.broadcast_state.empty());
  CHECK(one.broadcast_state.empty());

  // Subtask 1 restored with subtask 0's copy (as the store hands it to every subtask).
  detail::task_snapshot restored;
  restored.task = 3;
  one.broadcast_state = zero.broadcast_state;
  restored.operators.push_back(one);
  test::stepped_task again(env, 3, unbatched());
  REQUIRE_FALSE(again->restore(restored));
  REQUIRE_FALSE(again->start());
  REQUIRE_FALSE(again->on_credit(0, 100));
  REQUIRE_FALSE(again->on_frame(0, test::int_frame(0, 0, {{22, 22}, {17, 17}})));
  CHECK(again.tr.values() == std::vector<int64_t>{66, 85});
}

TEST_CASE("a broadcast state of other types is refused naming it", "[unit][broadcast][state]") {
  environment env;
  keyed_job(env, 1);
  test::stepped_task t(env, 2, unbatched());
  REQUIRE_FALSE(t->start());
  REQUIRE_FALSE(t->on_credit(0, 100));
  checkpoint(t, 0, 0);
  auto snap = apply_snapshot(t.tr.snapshots[0].second);
  REQUIRE_FALSE(snap.broadcast_state.empty());

  environment renamed;
  keyed_job(renamed, 1, "thresholds"); // the same types under another name: another state
  detail::task_snapshot restored;
  restored.task = 2;
  restored.operators.push_back(snap);
  test::stepped_task other(renamed, 2, unbatched());
  auto err = other->restore(restored);
  REQUIRE(err);
  CHECK(err.code() == errc::incompatible_state);
  CHECK_THAT(err.message(), Catch::Contains("broadcast state 'thresholds'") && Catch::Contains("factors"));
}

TEST_CASE("events without keys read the broadcast state, and subtask 0 writes it",
          "[unit][broadcast]") {
  environment env;
  auto events = env.from_collection<int64_t>({1}).uid("events").parallelism(1);
  auto rules = env.from_collection<int64_t>({1}).uid("rules").parallelism(1);
  output_tag<int64_t> unknown("unknown");
  events.connect(rules.broadcast(broadcast_state_descriptor<int64_t, int64_t>("factors")))
    .process<int64_t>(
      [unknown](const int64_t& x, const factors& f, process_context& ctx, emitter<int64_t>& out) {
        auto it = f.find(x % 10);
        if (it == f.end()) ctx.output(unknown, x);
        else out.emit(x * it->second);
      },
      [](const int64_t& r, factors& f, process_context&, emitter<int64_t>&) { f[r / 100] = r % 100; })
    .uid("apply")
    .sink(collect_sink(std::make_shared<collected<int64_t>>()))
    .uid("out");
  test::stepped_task t(env, 2, unbatched());
  REQUIRE_FALSE(t->start());
  REQUIRE_FALSE(t->on_credit(0, 100));
  REQUIRE_FALSE(t->on_frame(0, test::int_frame(0, 0, {{12, 12}})));
  REQUIRE_FALSE(t->on_frame(1, test::int_frame(1, 0, {{203, 5}})));
  REQUIRE_FALSE(t->on_frame(0, test::int_frame(0, 1, {{22, 22}})));
  CHECK(t.tr.values() == std::vector<int64_t>{66}); // 12 went to the unread side output
  checkpoint(t, 2, 1);
  CHECK_FALSE(apply_snapshot(t.tr.snapshots[0].second).broadcast_state.empty());
}
