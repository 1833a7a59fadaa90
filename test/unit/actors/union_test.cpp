// Union and non-keyed connect, stepped through their task: records of every
// input pass on with their timestamps, and event time is the least of the
// inputs' (an idle input left out), as for any multi-input task.

#include <catch2/catch.hpp>

#include <memory>
#include <string>

#include "support/fake_transport.hpp"
#include "weir/sinks.hpp"
#include "weir/stream.hpp"

using namespace weir;

namespace {

/// Sources a, b, c (tasks 0-2), their union (task 3), a sink (task 4).
struct union_of_three {
  environment env;
  std::unique_ptr<test::stepped_task> task;
  union_of_three() {
    auto a = env.from_collection<int64_t>({1}).uid("a");
    auto b = env.from_collection<int64_t>({1}).uid("b");
    auto c = env.from_collection<int64_t>({1}).uid("c");
    a.union_with(b, c).uid("all").sink(collect_sink(std::make_shared<collected<int64_t>>())).uid("out");
    runtime_options o;
    o.batch_size = 1;
    task = std::make_unique<test::stepped_task>(env, 3, o);
    REQUIRE_FALSE((*task)->start());
    REQUIRE_FALSE((*task)->on_credit(0, 100));
  }
};

} // namespace

TEST_CASE("a union passes every input's records on with their timestamps", "[unit][union]") {
  union_of_three u;
  auto& t = *u.task;
  REQUIRE_FALSE(t->on_frame(2, test::int_frame(2, 0, {{30, 300}})));
  REQUIRE_FALSE(t->on_frame(0, test::int_frame(0, 0, {{10, 100}, {11, 110}})));
  REQUIRE_FALSE(t->on_frame(1, test::int_frame(1, 0, {{20, 200}})));
  CHECK(t.tr.values() == std::vector<int64_t>{30, 10, 11, 20});
  auto first = t.tr.view(0);
  CHECK(first.timestamp(0) == 300);
}

TEST_CASE("a union's watermark is the least of its inputs', an idle input left out",
          "[unit][union][watermark]") {
  union_of_three u;
  auto& t = *u.task;
  REQUIRE_FALSE(t->on_frame(0, detail::make_watermark_frame(0, 0, 100)));
  REQUIRE_FALSE(t->on_frame(2, detail::make_watermark_frame(2, 0, 70)));
  CHECK(t.tr.kinds().empty()); // b has said nothing: event time waits for it
  REQUIRE_FALSE(t->on_frame(1, detail::make_watermark_frame(1, 0, 50)));
  CHECK(t.tr.kinds() == std::vector<std::string>{"wm 50"});
  REQUIRE_FALSE(t->on_frame(1, detail::make_idle_frame(1, 1)));
  CHECK(t.tr.kinds() == std::vector<std::string>{"wm 50", "wm 70"});
  REQUIRE_FALSE(t->on_frame(2, detail::make_end_of_input_frame(2, 1)));
  REQUIRE_FALSE(t->on_frame(0, detail::make_end_of_input_frame(0, 1)));
  REQUIRE_FALSE(t->on_frame(1, detail::make_end_of_input_frame(1, 2)));
  CHECK(t.tr.kinds().back() == "end");
}

TEST_CASE("a non-keyed co-flat-map calls each input's function with its records and timestamps",
          "[unit][union]") {
  environment env;
  auto numbers = env.from_collection<int64_t>({1}).uid("numbers");
  auto words = env.from_collection<std::string>({"x"}).uid("words");
  numbers.connect(words)
      .flat_map([](const int64_t& n, emitter<int64_t>& out) { out.emit(n * 10); },
                [](const std::string& w, emitter<int64_t>& out) {
                  for (char c : w) out.emit(c == 'a' ? 1 : 2);
                })
      .uid("both")
      .sink(collect_sink(std::make_shared<collected<int64_t>>()))
      .uid("out");
  runtime_options o;
  o.batch_size = 1;
  test::stepped_task t(env, 2, o);
  REQUIRE_FALSE(t->start());
  REQUIRE_FALSE(t->on_credit(0, 100));
  REQUIRE_FALSE(t->on_frame(0, test::int_frame(0, 0, {{4, 40}})));
  detail::batch_builder b;
  b.add(77, [](auto& p) { encode_value(std::string("ab"), p); });
  REQUIRE_FALSE(t->on_frame(1, b.seal(1, 0)));
  CHECK(t.tr.values() == std::vector<int64_t>{40, 1, 2});
  CHECK(t.tr.view(0).timestamp(0) == 40);
  CHECK(t.tr.view(2).timestamp(0) == 77);
}
