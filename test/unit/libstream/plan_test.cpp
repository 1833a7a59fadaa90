#include <catch2/catch.hpp>

#include "weir/detail/plan.hpp"
#include "weir/sinks.hpp"
#include "weir/stream.hpp"

using namespace weir;

namespace {

void pipeline(environment& env, uint32_t map_parallelism) {
  auto out = std::make_shared<collected<int64_t>>();
  env.from_collection<int64_t>({1, 2, 3}).uid("src")
    .map([](int64_t x) { return x * 2; }).uid("double").parallelism(map_parallelism)
    .key_by([](int64_t x) { return x % 5; })
    .reduce([](int64_t a, int64_t b) { return a + b; }).uid("sum")
    .sink(collect_sink(out)).uid("out");
}

} // namespace

TEST_CASE("without chaining every operator subtask is its own task", "[unit][plan]") {
  environment env;
  env.set_parallelism(3);
  pipeline(env, 3);
  auto plan = detail::make_plan(env.graph());
  REQUIRE(plan);
  CHECK(plan->chains.size() == 4);
  CHECK(plan->tasks.size() == 12);
  // src->double forward (3 channels), double->sum hash (9), sum->out forward (3).
  CHECK(plan->channels.size() == 15);
}

TEST_CASE("chaining joins forward edges of equal parallelism, never a hash edge", "[unit][plan]") {
  environment env;
  env.set_parallelism(2).set_chaining(true);
  pipeline(env, 2);
  auto plan = detail::make_plan(env.graph());
  REQUIRE(plan);
  REQUIRE(plan->chains.size() == 2);
  CHECK(plan->chains[0].vertices == std::vector<int>{0, 1});
  CHECK(plan->chains[1].vertices == std::vector<int>{2, 3});
  CHECK(plan->edges.size() == 1);
  CHECK(plan->edges[0].mode == partitioning::hash);
}

TEST_CASE("a default edge between different parallelisms rebalances", "[unit][plan]") {
  environment env;
  env.set_parallelism(2);
  pipeline(env, 3);
  auto plan = detail::make_plan(env.graph());
  REQUIRE(plan);
  CHECK(plan->input_mode[1][0] == partitioning::rebalance);
  CHECK(plan->task_name(env.graph(), plan->chains[1].first_task + 2) == "double[2/3]");
}

TEST_CASE("channel slots are numbered densely on both ends", "[unit][plan]") {
  environment env;
  env.set_parallelism(3);
  pipeline(env, 2);
  auto plan = detail::make_plan(env.graph());
  REQUIRE(plan);
  std::vector<std::vector<int>> outs(plan->tasks.size()), ins(plan->tasks.size());
  for (const auto& ch : plan->channels) {
    outs[ch.producer_task].push_back(static_cast<int>(ch.out_channel));
    ins[ch.consumer_task].push_back(static_cast<int>(ch.in_channel));
  }
  for (size_t t = 0; t < plan->tasks.size(); ++t) {
    REQUIRE(outs[t].size() == plan->tasks[t].num_outputs);
    REQUIRE(ins[t].size() == plan->tasks[t].num_inputs);
    std::sort(outs[t].begin(), outs[t].end());
    std::sort(ins[t].begin(), ins[t].end());
    for (size_t i = 0; i < outs[t].size(); ++i) CHECK(outs[t][i] == static_cast<int>(i));
    for (size_t i = 0; i < ins[t].size(); ++i) CHECK(ins[t][i] == static_cast<int>(i));
  }
}

TEST_CASE("a duplicate uid is an error naming it", "[unit][plan]") {
  environment env;
  auto out = std::make_shared<collected<int>>();
  env.from_collection<int>({1}).uid("x").map([](int v) { return v; }).uid("x").sink(collect_sink(out));
  auto plan = detail::make_plan(env.graph());
  REQUIRE_FALSE(plan);
  CHECK(plan.error_value().code() == errc::bad_argument);
  CHECK(plan.error_value().message() == "operator uid 'x' is used twice");
}

TEST_CASE("an explicit forward edge between different parallelisms is an error", "[unit][plan]") {
  environment env;
  auto out = std::make_shared<collected<int>>();
  env.from_collection<int>({1}).uid("src").parallelism(1).forward().map([](int v) { return v; })
    .uid("m").parallelism(2).sink(collect_sink(out));
  auto plan = detail::make_plan(env.graph());
  REQUIRE_FALSE(plan);
  CHECK_THAT(plan.error_value().message(), Catch::Contains("forward input from 'src'"));
}

TEST_CASE("a stream that ends without a sink is an error", "[unit][plan]") {
  environment env;
  env.from_collection<int>({1}).uid("src").map([](int v) { return v; }).uid("dangling");
  auto plan = detail::make_plan(env.graph());
  REQUIRE_FALSE(plan);
  CHECK_THAT(plan.error_value().message(), Catch::Contains("'dangling' has no consumer"));
}

TEST_CASE("parallelism above max parallelism is an error", "[unit][plan]") {
  environment env;
  env.set_max_parallelism(4).set_parallelism(5);
  pipeline(env, 5);
  auto plan = detail::make_plan(env.graph());
  REQUIRE_FALSE(plan);
  CHECK_THAT(plan.error_value().message(), Catch::Contains("above max parallelism 4"));
}

TEST_CASE("the scheduler spins by default only for batches large enough to gain from it", "[unit][options]") {
  CHECK(weir::spin_polls_for(1023) == 100); // CAF's own default
  CHECK(weir::spin_polls_for(1024) == 10000);
  CHECK(weir::runtime_options{}.scheduler_spin_polls == 0); // 0: by the batch size
}
