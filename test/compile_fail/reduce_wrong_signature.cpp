// Must not compile: reduce combines two records of the stream's type.
#include "weir/stream.hpp"

int main() {
  weir::environment env;
  env.from_collection<int>({1}).key_by([](int x) { return x; }).reduce([](int a) { return a; });
}
