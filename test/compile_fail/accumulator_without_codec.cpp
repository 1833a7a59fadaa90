// Must not compile: a window aggregate's accumulator is checkpointed, so it needs a codec.
#include "weir/sinks.hpp"
#include "weir/stream.hpp"

struct bag {
  int n = 0;
};
struct count_into_bag {
  bag create_accumulator() const { return {}; }
  bag add(int, bag b) const { return {b.n + 1}; }
  bag merge(bag a, bag b) const { return {a.n + b.n}; }
  int get_result(const bag& b) const { return b.n; }
};

int main() {
  weir::environment env;
  auto out = std::make_shared<weir::collected<int>>();
  env.from_collection<int>({1}).key_by([](int x) { return x; })
    .window(weir::tumbling_event_time_windows::of(std::chrono::milliseconds(10)))
    .aggregate(count_into_bag{})
    .sink(weir::collect_sink(out));
  return env.execute("x").ok() ? 0 : 1;
}
