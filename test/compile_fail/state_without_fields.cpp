// Must not compile: a keyed State must say how it is checkpointed.
#include "weir/sinks.hpp"
#include "weir/stream.hpp"

struct unnamed {
  weir::value_state<int> count;
};

int main() {
  weir::environment env;
  auto out = std::make_shared<weir::collected<int>>();
  env.from_collection<int>({1}).key_by([](int x) { return x; })
    .process<int, unnamed>([](int x, unnamed&, weir::keyed_context<int>&, weir::emitter<int>& o) { o.emit(x); })
    .sink(weir::collect_sink(out));
  return env.execute("x").ok() ? 0 : 1;
}
