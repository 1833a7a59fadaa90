// Side outputs by output tag in whole jobs: a keyed process function and a
// keyed co-process function split their input between the main output and
// tagged side outputs; every record lands in exactly one place, at any
// parallelism, batch size and chaining, and through a restart.

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <memory>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "support/run_shapes.hpp"
#include "weir/sinks.hpp"
#include "weir/stream.hpp"

using namespace weir;

namespace {

struct seen {
  value_state<int64_t> count;
  void fields(state_fields& f) { f("count", count); }
};

template <class T>
std::vector<T> sorted(const std::shared_ptr<collected<T>>& c) {
  auto v = c->values();
  std::sort(v.begin(), v.end());
  return v;
}

} // namespace

TEST_CASE("a keyed process function's tagged side outputs get exactly their records at any "
          "parallelism, batch size and chaining, and through a restart",
          "[integration][side_output]") {
  constexpr int64_t n = 30000;
  std::vector<int64_t> small, large_text_sizes, rest;
  for (int64_t i = 0; i < n; ++i) {
    if (i % 10 == 0) small.push_back(i);
    else if (i % 10 == 1) large_text_sizes.push_back(static_cast<int64_t>(std::to_string(i).size()));
    else rest.push_back(i);
  }
  for (const auto& shape : test::run_shapes()) {
    static std::atomic<int> fail;
    fail = shape.failures;
    environment env;
    test::apply_shape(env, shape);
    output_tag<int64_t> tens("tens");
    output_tag<std::string> ones("ones");
    auto main = std::make_shared<collected<int64_t>>();
    auto tens_out = std::make_shared<collected<int64_t>>();
    auto ones_out = std::make_shared<collected<std::string>>();
    auto split = env.generate(n, [](uint64_t i) { return static_cast<int64_t>(i); }).uid("numbers")
                     .key_by([](int64_t x) { return x % 7; })
                     .process<int64_t, seen>([tens, ones](const int64_t& x, seen& s, keyed_context<int64_t>& ctx,
                                                          emitter<int64_t>& out) {
                       if (x == 20001 && fail.fetch_sub(1) > 0) throw std::runtime_error("once");
                       s.count.update((s.count.has_value() ? s.count.value() : 0) + 1);
                       if (x % 10 == 0) ctx.output(tens, x);
                       else if (x % 10 == 1) ctx.output(ones, std::to_string(x));
                       else out.emit(x);
                     })
                     .uid("split");
    split.sink(collect_sink(main)).uid("main");
    split.side_output(tens).sink(collect_sink(tens_out)).uid("tens-out");
    split.side_output(ones).map([](const std::string& s) { return s; }).uid("ones-map")
        .sink(collect_sink(ones_out)).uid("ones-out");
    auto result = env.execute("side-outputs");
    INFO(shape << ": " << result.failure.to_string());
    REQUIRE(result.ok());
    CHECK(result.restarts == static_cast<uint32_t>(shape.failures));
    CHECK(sorted(main) == rest);
    CHECK(sorted(tens_out) == small);
    std::vector<int64_t> sizes;
    for (const auto& s : ones_out->values()) sizes.push_back(static_cast<int64_t>(s.size()));
    std::sort(sizes.begin(), sizes.end());
    auto want = large_text_sizes;
    std::sort(want.begin(), want.end());
    CHECK(sizes == want);
  }
}

TEST_CASE("a keyed co-process function writes side outputs from both inputs", "[integration][side_output]") {
  environment env;
  env.set_parallelism(2);
  output_tag<std::string> unmatched("unmatched");
  auto left = env.from_collection<int64_t>({1, 2, 3}).uid("left");
  auto right = env.from_collection<std::string>({"2", "3", "4"}).uid("right");
  struct side {
    value_state<int64_t> n;
    void fields(state_fields& f) { f("n", n); }
  };
  auto joined = left.connect(right)
                    .key_by([](const int64_t& x) { return x; }, [](const std::string& s) { return static_cast<int64_t>(std::stoll(s)); })
                    .process<int64_t, side>(
                        [unmatched](const int64_t& x, side&, keyed_context<int64_t>& ctx, emitter<int64_t>& out) {
                          if (x == 1) ctx.output(unmatched, std::string("left 1"));
                          else out.emit(x);
                        },
                        [unmatched](const std::string& s, side&, keyed_context<int64_t>& ctx, emitter<int64_t>&) {
                          if (s == "4") ctx.output(unmatched, "right " + s);
                        })
                    .uid("match");
  auto main = std::make_shared<collected<int64_t>>();
  auto odd = std::make_shared<collected<std::string>>();
  joined.sink(collect_sink(main)).uid("main");
  joined.side_output(unmatched).sink(collect_sink(odd)).uid("unmatched-out");
  REQUIRE(env.execute("co-side").ok());
  CHECK(sorted(main) == std::vector<int64_t>{2, 3});
  CHECK(sorted(odd) == std::vector<std::string>{"left 1", "right 4"});
}
