// weir bench nodes: Nexmark queries across two node processes against the
// same job in one process, interleaved in one run, with the results checked
// equal and the bytes the processes read from their sockets.

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "bench/nexmark_bench.hpp"
#include "bench/node_cluster.hpp"
#include "bench/stats.hpp"
#include "cli_args.hpp"
#include "commands.hpp"
#include "nexmark/queries.hpp"
#include "weir/job_registry.hpp"
#include "weir/stream.hpp"

namespace weir::apps {

namespace {

using bench::median;

const char* usage = R"(usage: weir bench nodes [options]

Runs Nexmark queries as the registered 'nexmark' job (generated events, the
output written to part files) at parallelism 2, in this process and across
two 'weir node' processes it starts on loopback with one slot each (so each
node runs one subtask of every operator, and only keyed exchanges cross
between them), interleaved (one process, nodes, one process, ...). Checks
that both wrote the same lines (count and an order-independent checksum; a
mismatch exits 1) and prints a markdown table of medians: events/s in one
process and across the nodes, their ratio, and the bytes per second the
nodes read from the network (as each node counts it) and the coordinator
read from the nodes.

options:
  --queries LIST     queries (default q1,q5)
  --events N         events per run (default 2000000)
  --windows LIST     credit windows, frames in flight per channel (default 4,32)
  --batch-size N     records per frame (default 1024)
  --runs K           runs of each, the table shows medians (default 3)
  -h, --help         show this help
)";

int usage_error(const std::string& message) {
  std::fprintf(stderr, "weir bench nodes: %s (try weir bench nodes --help)\n", message.c_str());
  return 2;
}

struct setup {
  std::string query;
  uint64_t events = 0;
  uint32_t window = 4;
  uint64_t batch = 1024;
};

struct run_figures {
  double seconds = 0;
  uint64_t node_bytes = 0;        // read by the nodes from their sockets
  uint64_t coordinator_bytes = 0; // read by the coordinator from the nodes
  bench::fold_result lines;
};

/// Every committed line under `dir` (part-* files), folded.
bench::fold_result fold_output(const std::string& dir, const std::string& query) {
  bench::fold_result acc;
  auto fold = bench::fold_for(query);
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file() || it->path().filename().string().rfind("part-", 0) != 0) continue;
    std::ifstream in(it->path());
    for (std::string line; std::getline(in, line);)
      fold(acc, line);
  }
  return acc;
}

expected<run_figures> run_once(const setup& s, const std::string& out_dir,
                               const bench::node_cluster* nodes) {
  environment env;
  env.options().batch_size = s.batch;
  env.options().credit_window = s.window;
  if (nodes) env.options().nodes = nodes->addresses();
  if (auto err = build_registered_job(env, "nexmark",
                                      {{"query", s.query},
                                       {"events", std::to_string(s.events)},
                                       {"output", out_dir},
                                       {"parallelism", "2"}}))
    return err;
  auto result = env.execute("nexmark");
  if (!result.ok()) return result.failure;
  run_figures f;
  f.seconds = result.seconds;
  f.node_bytes = result.bytes_read_by_nodes;
  f.coordinator_bytes = result.bytes_from_nodes;
  f.lines = fold_output(out_dir, s.query);
  std::error_code ec;
  std::filesystem::remove_all(out_dir, ec);
  return f;
}

struct row {
  std::vector<double> local_eps, nodes_eps, node_bps, coordinator_bps;
  uint64_t lines = 0;
};

expected<row> measure(const setup& s, uint64_t runs, const bench::node_cluster& nodes,
                      const std::string& dir) {
  row r;
  auto events = static_cast<double>(s.events);
  for (uint64_t k = 0; k < runs; ++k) {
    auto local = run_once(s, dir + "/local", nullptr);
    if (!local) return local.error_value();
    auto remote = run_once(s, dir + "/nodes", &nodes);
    if (!remote) return remote.error_value();
    if (!(local->lines == remote->lines))
      return error{errc::operator_failed, "results differ: " + s.query + ": one process wrote "
                                              + std::to_string(local->lines.count)
                                              + " lines, the nodes "
                                              + std::to_string(remote->lines.count)};
    r.lines = local->lines.count;
    r.local_eps.push_back(events / local->seconds);
    r.nodes_eps.push_back(events / remote->seconds);
    r.node_bps.push_back(static_cast<double>(remote->node_bytes) / remote->seconds);
    r.coordinator_bps.push_back(static_cast<double>(remote->coordinator_bytes) / remote->seconds);
  }
  return r;
}

void print_row(const setup& s, const row& r) {
  double local = median(r.local_eps), remote = median(r.nodes_eps);
  std::printf("| %s | %u | %llu | %.3fM | %.3fM | %.1f%% | %.1f | %.2f | %llu |\n", s.query.c_str(),
              s.window, static_cast<unsigned long long>(s.batch), local / 1e6, remote / 1e6,
              100 * remote / local, median(r.node_bps) / 1e6, median(r.coordinator_bps) / 1e6,
              static_cast<unsigned long long>(r.lines));
  std::fflush(stdout);
}

} // namespace

int bench_nodes_command(int argc, char** argv, int first) {
  auto args =
      parse_cli(argc, argv, first, {"queries", "events", "windows", "batch-size", "runs"}, {});
  if (!args) return usage_error(args.error_value().message());
  if (args->help) {
    std::fputs(usage, stdout);
    return 0;
  }
  if (!args->positional.empty())
    return usage_error("unexpected argument '" + args->positional[0] + "'");
  auto events = args->get_number("events", 2000000, 1, UINT64_MAX / 2);
  auto batch = args->get_number("batch-size", 1024, 1, 1 << 20);
  auto runs = args->get_number("runs", 3, 1, 1000);
  for (const auto* n : {&events, &batch, &runs})
    if (!*n) return usage_error(n->error_value().message());
  auto queries = split_list(args->get("queries", "q1,q5"));
  const auto& known = nexmark::query_names();
  for (const auto& q : queries)
    if (std::find(known.begin(), known.end(), q) == known.end() || q == "q13")
      return usage_error("unknown query '" + q
                         + "' (q13 needs a side input: not benchmarked here)");
  std::vector<uint32_t> windows;
  for (const auto& w : split_list(args->get("windows", "4,32"))) {
    auto n = std::strtoul(w.c_str(), nullptr, 10);
    if (w.find_first_not_of("0123456789") != std::string::npos || n < 1 || n > 65536)
      return usage_error("--windows: '" + w + "' is not a window from 1 to 65536");
    windows.push_back(static_cast<uint32_t>(n));
  }
  if (queries.empty() || windows.empty())
    return usage_error("--queries and --windows each need one item");
  auto nodes = bench::node_cluster::start(2, 1);
  if (!nodes) {
    std::fprintf(stderr, "weir bench nodes: %s\n", nodes.error_value().to_string().c_str());
    return 1;
  }
  char templ[] = "/tmp/weir-bench-nodes-out-XXXXXX";
  if (::mkdtemp(templ) == nullptr) return usage_error("cannot make a temporary directory in /tmp");
  std::string dir = templ;
  std::printf(
      "| query | window | batch | events/s, one process | events/s, two nodes | nodes / one | "
      "MB/s nodes read | MB/s coordinator read | lines |\n|---|---|---|---|---|---|---|---|---|\n");
  int code = 0;
  for (const auto& q : queries) {
    for (auto w : windows) {
      setup s{q, *events, w, *batch};
      auto r = measure(s, *runs, *nodes, dir);
      if (!r) {
        std::fprintf(stderr, "weir bench nodes: %s\n", r.error_value().to_string().c_str());
        code = 1;
        break;
      }
      print_row(s, *r);
    }
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return code;
}

} // namespace weir::apps
