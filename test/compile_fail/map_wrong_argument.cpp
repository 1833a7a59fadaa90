// Must not compile: map's function takes an int, the stream carries strings.
#include "weir/sinks.hpp"
#include "weir/stream.hpp"

int main() {
  weir::environment env;
  env.from_collection<std::string>({"a"}).map([](int* x) { return *x; });
}
