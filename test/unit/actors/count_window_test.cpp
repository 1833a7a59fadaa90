// Count windows stepped through their task: a tumbling window fires with
// every size-th record of a key and keeps a partial one unfired at the end;
// a sliding one fires every slide records with the last size; keys apart.

#include <catch2/catch.hpp>

#include <memory>
#include <vector>

#include "support/aggregates.hpp"
#include "support/fake_transport.hpp"
#include "weir/sinks.hpp"
#include "weir/stream.hpp"

using namespace weir;

namespace {

std::vector<std::pair<int64_t, int64_t>> untimed(const std::vector<int64_t>& values) {
  std::vector<std::pair<int64_t, int64_t>> out;
  for (auto v : values) out.push_back({v, v * 10});
  return out;
}

template <class Build>
std::vector<int64_t> run(Build build, const std::vector<int64_t>& input) {
  environment env;
  auto keyed = env.from_collection<int64_t>({1}).uid("src").key_by([](int64_t x) { return x % 2; });
  build(keyed).uid("window").sink(collect_sink(std::make_shared<collected<int64_t>>())).uid("out");
  runtime_options o;
  o.batch_size = 1;
  test::stepped_task t(env, 1, o);
  REQUIRE_FALSE(t->start());
  REQUIRE_FALSE(t->on_credit(0, 100));
  REQUIRE_FALSE(t->on_frame(0, test::int_frame(0, 0, untimed(input))));
  REQUIRE_FALSE(t->on_frame(0, detail::make_end_of_input_frame(0, 1)));
  return t.tr.values();
}

} // namespace

TEST_CASE("a tumbling count window fires with each size-th record of a key, not a partial one at the end",
          "[unit][count_window]") {
  auto sums = run([](auto& k) { return k.count_window(3).reduce([](int64_t a, int64_t b) { return a + b; }); },
                  {2, 1, 4, 3, 6, 5, 8, 7, 10});
  CHECK(sums == std::vector<int64_t>{2 + 4 + 6, 1 + 3 + 5}); // evens 8, 10 and odd 7 wait for a third
  auto counts = run([](auto& k) { return k.count_window(2).aggregate(test::count_aggregate{}); }, {1, 3, 5, 2, 4});
  CHECK(counts == std::vector<int64_t>{2, 2});
}

TEST_CASE("a sliding count window fires every slide records of a key with its last size",
          "[unit][count_window]") {
  auto sums = run([](auto& k) { return k.count_window(4, 2).reduce([](int64_t a, int64_t b) { return a + b; }); },
                  {1, 3, 5, 7, 9, 11, 2});
  CHECK(sums == std::vector<int64_t>{1 + 3, 1 + 3 + 5 + 7, 5 + 7 + 9 + 11});
  auto sizes = run([](auto& k) {
    return k.count_window(3, 1).process([](const int64_t&, const std::vector<int64_t>& rs, emitter<int64_t>& out) {
      out.emit(static_cast<int64_t>(rs.size()) * 100 + rs.back());
    });
  }, {1, 3, 5, 7});
  CHECK(sizes == std::vector<int64_t>{101, 203, 305, 307});
  CHECK_THROWS_WITH(run([](auto& k) { return k.count_window(0).aggregate(test::count_aggregate{}); }, {}),
                    Catch::Contains("at least 1"));
}
