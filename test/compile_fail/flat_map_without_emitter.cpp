// Must not compile: flat_map needs fn(const T&, weir::emitter<R>&).
#include "weir/stream.hpp"

int main() {
  weir::environment env;
  env.from_collection<int>({1}).flat_map([](int x) { return x; });
}
