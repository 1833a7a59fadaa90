#include "bench/connector_bench.hpp"

#include <cstdio>
#include <exception>
#include <filesystem>

#include "bench/stats.hpp"

namespace weir::apps::bench {

int run_connector_bench(const std::string& name, const connector_table& table, const connector_runs& measure) {
  auto state = (std::filesystem::temp_directory_path() / ("weir-bench-" + name + "-state")).string();
  std::filesystem::remove_all(state);
  std::vector<double> plain, job;
  try {
    measure(plain, job, state);
  } catch (const std::exception& e) {
    std::filesystem::remove_all(state);
    std::fprintf(stderr, "weir bench %s: %s\n", name.c_str(), e.what());
    return 1;
  }
  std::filesystem::remove_all(state);
  double p = median(plain), w = median(job);
  std::printf("| workload | %s | %s | Weir / plain |\n", table.plain_column.c_str(), table.job_column.c_str());
  std::printf("|---|---|---|---|\n");
  std::printf("| %s | %.0f | %.0f | %.1f%% |\n", table.workload.c_str(), p, w, p > 0 ? 100.0 * w / p : 0.0);
  return 0;
}

} // namespace weir::apps::bench
