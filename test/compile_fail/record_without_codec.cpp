// Must not compile: a record type needs a weir::codec.
#include "weir/sinks.hpp"
#include "weir/stream.hpp"

struct opaque {
  int x = 0;
};

int main() {
  weir::environment env;
  auto out = std::make_shared<weir::collected<opaque>>();
  env.from_collection<int>({1}).map([](int x) { return opaque{x}; }).sink(weir::collect_sink(out));
  return env.execute("x").ok() ? 0 : 1;
}
