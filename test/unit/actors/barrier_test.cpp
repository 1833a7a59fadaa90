// Checkpoint barriers, stepped message by message: the aligner alone, then a
// task with two inputs under every arrival order (reliability.md section 3),
// then a source's trigger.

#include <catch2/catch.hpp>

#include <algorithm>
#include <numeric>

#include "barrier_aligner.hpp"
#include "support/fake_transport.hpp"
#include "weir/detail/keyed_state.hpp"
#include "weir/sinks.hpp"
#include "weir/stream.hpp"

using namespace weir;
using runtime::barrier_aligner;
using result = barrier_aligner::result;

TEST_CASE("barrier aligner holds a channel whose barrier arrived first", "[unit][barrier]") {
  barrier_aligner a(3);
  CHECK(a.on_barrier(1, 7) == result::holding);
  CHECK(a.holds(1));
  CHECK_FALSE(a.holds(0));
  CHECK(a.on_barrier(0, 7) == result::holding);
  CHECK(a.on_barrier(2, 7) == result::aligned);
  a.finish(7);
  CHECK_FALSE(a.holds(0));
  CHECK_FALSE(a.holds(1));
  CHECK(a.pending() == 0);
  CHECK(a.on_barrier(0, 7) == result::ignored); // a late copy of a finished checkpoint
}

TEST_CASE("barrier aligner counts an ended input as aligned", "[unit][barrier]") {
  barrier_aligner a(3);
  CHECK_FALSE(a.on_end(2)); // nothing to align yet
  CHECK(a.on_barrier(0, 1) == result::holding);
  CHECK(a.on_end(1)); // the last one missing ended: aligned
  a.finish(1);
  CHECK(a.on_barrier(0, 2) == result::aligned); // both others have ended
}

TEST_CASE("barrier aligner drops an older alignment for a newer barrier", "[unit][barrier]") {
  barrier_aligner a(2);
  CHECK(a.on_barrier(0, 3) == result::holding);
  CHECK(a.on_barrier(1, 4) == result::holding); // checkpoint 3 was aborted upstream
  CHECK_FALSE(a.holds(0));
  CHECK(a.holds(1));
  CHECK(a.on_barrier(1, 3) == result::ignored);
  CHECK(a.on_barrier(0, 4) == result::aligned);
  SECTION("an abort releases the channels held") {
    barrier_aligner b(2);
    CHECK(b.on_barrier(0, 5) == result::holding);
    b.finish(5);
    CHECK_FALSE(b.holds(0));
    CHECK(b.on_barrier(1, 5) == result::ignored);
  }
}

namespace {

/// Two source subtasks -> key_by(constant) -> running sum (task 2) -> out.
struct two_input_sum {
  environment env;
  two_input_sum() {
    env.from_collection<int64_t>({}).uid("src").parallelism(2)
      .key_by([](int64_t) { return 0; })
      .reduce([](int64_t a, int64_t b) { return a + b; }).uid("sum").parallelism(1)
      .sink(collect_sink(std::make_shared<collected<int64_t>>())).uid("out").parallelism(1);
  }
};

runtime_options unbatched() {
  runtime_options o;
  o.batch_size = 1;
  o.credit_window = 8;
  return o;
}

/// The value the snapshot of `sum` holds for key 0.
int64_t snapshot_sum(const std::vector<char>& bytes) {
  auto snap = detail::decode_task_snapshot(std::string_view(bytes.data(), bytes.size()));
  REQUIRE(snap);
  for (const auto& op : snap->operators) {
    if (op.uid != "sum") continue;
    REQUIRE(op.key_groups.size() == 1);
    detail::state_schema schema{"reduce", "int32", {{"value", "int64"}}, ""};
    auto kg = detail::decode_key_group(op.key_groups[0].second, op.key_groups[0].first, schema, "sum");
    REQUIRE(kg);
    int64_t value = 0;
    kg->entries.for_each("sum", [&](byte_reader& r) {
      codec<int32_t>::decode(r);
      value = codec<int64_t>::decode(r);
    });
    return value;
  }
  FAIL("no state of sum in the snapshot");
  return 0;
}

} // namespace

TEST_CASE("every arrival order of two aligned inputs snapshots exactly the pre-barrier records",
          "[unit][barrier]") {
  // Per channel: 3 records, the barrier, 2 records. 12 frames, C(12,6) = 924 orders.
  const std::vector<std::vector<int64_t>> records{{1, 2, 4, 8, 16}, {32, 64, 128, 256, 512}};
  const int64_t pre_barrier = 1 + 2 + 4 + 32 + 64 + 128;
  std::vector<int> order{0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1};
  two_input_sum job;
  int orders = 0;
  do {
    ++orders;
    INFO("order " << orders);
    test::stepped_task t(job.env, 2, unbatched());
    REQUIRE_FALSE(t->start());
    REQUIRE_FALSE(t->on_credit(0, 100));
    size_t next[2] = {0, 0};
    std::vector<int64_t> pre_order, post_order; // records by when the task may process them
    for (int ch : order) {
      size_t i = next[ch]++;
      if (i == 3) {
        REQUIRE_FALSE(t->on_frame(ch, detail::make_barrier_frame(ch, i, 1)));
        continue;
      }
      int64_t v = records[ch][i < 3 ? i : i - 1];
      (i < 3 ? pre_order : post_order).push_back(v);
      REQUIRE_FALSE(t->on_frame(ch, test::int_frame(ch, i, {{v, 0}})));
    }
    REQUIRE(t.tr.snapshots.size() == 1);
    CHECK(t.tr.snapshots[0].first == 1);
    CHECK(snapshot_sum(t.tr.snapshots[0].second) == pre_barrier);
    // Held records go first once aligned: pre-barrier ones in arrival order,
    // the barrier, then the rest in arrival order.
    std::vector<std::string> expected;
    int64_t sum = 0;
    for (auto v : pre_order) expected.push_back("data " + std::to_string(sum += v));
    expected.push_back("barrier 1");
    for (auto v : post_order) expected.push_back("data " + std::to_string(sum += v));
    CHECK(t.tr.kinds() == expected);
    CHECK(t->aligning() == 0);
  } while (std::next_permutation(order.begin(), order.end()));
  CHECK(orders == 924);
}

TEST_CASE("an aborted checkpoint releases the held input and its late barrier is ignored", "[unit][barrier]") {
  two_input_sum job;
  test::stepped_task t(job.env, 2, unbatched());
  REQUIRE_FALSE(t->start());
  REQUIRE_FALSE(t->on_credit(0, 100));
  REQUIRE_FALSE(t->on_frame(0, detail::make_barrier_frame(0, 0, 1)));
  REQUIRE_FALSE(t->on_frame(0, test::int_frame(0, 1, {{5, 0}})));
  CHECK(t->queued_frames() == 1); // held behind the barrier
  REQUIRE_FALSE(t->abort_checkpoint(1));
  CHECK(t->queued_frames() == 0);
  CHECK(t.tr.kinds() == std::vector<std::string>{"data 5"});
  REQUIRE_FALSE(t->on_frame(1, detail::make_barrier_frame(1, 0, 1)));
  CHECK(t.tr.snapshots.empty());
  CHECK(t->aligning() == 0);
  REQUIRE_FALSE(t->on_frame(1, detail::make_barrier_frame(1, 1, 2)));
  REQUIRE_FALSE(t->on_frame(0, detail::make_barrier_frame(0, 2, 2)));
  REQUIRE(t.tr.snapshots.size() == 1);
  CHECK(t.tr.snapshots[0].first == 2);
}

TEST_CASE("an input that ends counts as aligned", "[unit][barrier]") {
  two_input_sum job;
  test::stepped_task t(job.env, 2, unbatched());
  REQUIRE_FALSE(t->start());
  REQUIRE_FALSE(t->on_credit(0, 100));
  REQUIRE_FALSE(t->on_frame(0, test::int_frame(0, 0, {{3, 0}})));
  REQUIRE_FALSE(t->on_frame(0, detail::make_barrier_frame(0, 1, 1)));
  REQUIRE_FALSE(t->on_frame(1, test::int_frame(1, 0, {{4, 0}})));
  CHECK(t.tr.snapshots.empty());
  REQUIRE_FALSE(t->on_frame(1, detail::make_end_of_input_frame(1, 1)));
  REQUIRE(t.tr.snapshots.size() == 1);
  CHECK(snapshot_sum(t.tr.snapshots[0].second) == 7); // everything before the end counts
}

TEST_CASE("a source snapshots its position between polls and sends the barrier after its records",
          "[unit][barrier]") {
  environment env;
  std::vector<int64_t> values(50);
  std::iota(values.begin(), values.end(), 0);
  env.from_collection(values).uid("src")
    .sink(collect_sink(std::make_shared<collected<int64_t>>())).uid("out");
  runtime_options o;
  o.batch_size = 10;
  test::stepped_task src(env, 0, o);
  REQUIRE_FALSE(src->start());
  REQUIRE_FALSE(src->on_credit(0, 100));
  REQUIRE_FALSE(src->trigger_checkpoint(4));
  auto kinds = src.tr.kinds();
  REQUIRE(src.tr.snapshots.size() == 1);
  auto barrier = std::find(kinds.begin(), kinds.end(), "barrier 4");
  REQUIRE(barrier != kinds.end());
  std::vector<int64_t> before;
  for (size_t i = 0; i < static_cast<size_t>(barrier - kinds.begin()); ++i)
    for (auto v : src.tr.records(i)) before.push_back(v);
  // A restored source continues right after the records before the barrier.
  auto snap = detail::decode_task_snapshot({src.tr.snapshots[0].second.data(), src.tr.snapshots[0].second.size()});
  REQUIRE(snap);
  test::stepped_task again(env, 0, o);
  REQUIRE_FALSE(again->restore(*snap));
  REQUIRE_FALSE(again->start());
  REQUIRE_FALSE(again->on_credit(0, 100));
  while (!again.tr.done) REQUIRE_FALSE(again->on_resume());
  auto after = again.tr.values();
  before.insert(before.end(), after.begin(), after.end());
  CHECK(before == values);
}
