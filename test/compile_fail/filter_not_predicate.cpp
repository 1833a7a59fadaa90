// Must not compile: a filter must return something convertible to bool.
#include "weir/stream.hpp"

int main() {
  weir::environment env;
  env.from_collection<int>({1}).filter([](int x) { return std::to_string(x); });
}
