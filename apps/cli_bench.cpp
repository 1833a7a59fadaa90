#include <cstdio>

#include "commands.hpp"

namespace weir::apps {

int bench_command(int, char**, int) {
  std::fprintf(stderr, "weir bench: not built yet\n");
  return 2;
}

} // namespace weir::apps
