// Hosts in network namespaces (issue 9): three node daemons, each in its own
// namespace with one veth link to a bridge in the coordinator's namespace,
// made by the test with `ip netns`. Cutting one host's link makes the job
// notice within the silence timeout and wait for the node (the two left have
// too few slots); restoring the link lets the node rejoin, and the job ends
// with every count committed once. Skipped, saying why, where the kernel or
// the sandbox refuses namespaces.

#include <catch2/catch.hpp>

#include <unistd.h>

#include <chrono>
#include <iostream>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "support/part_files.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "support/text.hpp"

using namespace weir;

namespace {

/// Where iproute2's `ip` is (test children are started without a PATH search).
std::string ip_binary() {
  for (const char* path : {"/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"})
    if (::access(path, X_OK) == 0) return path;
  return "ip (iproute2 is not installed)";
}

/// Runs `ip` with `args`; its output when it fails, "" when it succeeds.
std::string ip(const std::vector<std::string>& args) {
  std::vector<std::string> argv{ip_binary()};
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = test::run_command(argv, 10000);
  if (r.exit_code == 0) return "";
  std::string line;
  for (const auto& a : argv)
    line += a + " ";
  return line + "failed (exit " + std::to_string(r.exit_code) + "): " + r.output;
}

/// A coordinator namespace holding a bridge (10.199.0.1/24), and one
/// namespace per host linked to it by a veth pair (10.199.0.1N). Deleted,
/// with its links, on destruction.
class test_network {
public:
  explicit test_network(int hosts) {
    auto prefix = "weir" + std::to_string(::getpid());
    coordinator_ = prefix + "c";
    if ((failure_ = ip({"netns", "add", coordinator_})).size()) return;
    made_.push_back(coordinator_);
    for (int h = 1; h <= hosts && failure_.empty(); ++h) {
      auto ns = prefix + "h" + std::to_string(h);
      if ((failure_ = ip({"netns", "add", ns})).size()) return;
      made_.push_back(ns);
      hosts_.push_back(ns);
    }
    std::vector<std::vector<std::string>> steps{
        {"-n", coordinator_, "link", "set", "lo", "up"},
        {"-n", coordinator_, "link", "add", "br0", "type", "bridge"},
        {"-n", coordinator_, "addr", "add", "10.199.0.1/24", "dev", "br0"},
        {"-n", coordinator_, "link", "set", "br0", "up"}};
    for (size_t h = 0; h < hosts_.size(); ++h) {
      auto veth = link_of(h);
      steps.push_back({"-n", coordinator_, "link", "add", veth, "type", "veth", "peer", "name",
                       "eth0", "netns", hosts_[h]});
      steps.push_back({"-n", coordinator_, "link", "set", veth, "master", "br0", "up"});
      steps.push_back({"-n", hosts_[h], "link", "set", "lo", "up"});
      steps.push_back({"-n", hosts_[h], "addr", "add", address_of(h) + "/24", "dev", "eth0"});
      steps.push_back({"-n", hosts_[h], "link", "set", "eth0", "up"});
    }
    for (const auto& step : steps)
      if ((failure_ = ip(step)).size()) return;
  }
  ~test_network() {
    for (const auto& ns : made_)
      ip({"netns", "del", ns});
  }
  test_network(const test_network&) = delete;
  test_network& operator=(const test_network&) = delete;

  /// Why the network could not be made; "" when it was.
  const std::string& failure() const { return failure_; }
  const std::string& coordinator() const { return coordinator_; }
  const std::string& host(size_t h) const { return hosts_[h]; }
  static std::string address_of(size_t h) { return "10.199.0.1" + std::to_string(h + 1); }
  /// Takes host h's link to the bridge down (cut) or up (restored).
  std::string set_link(size_t h, bool up) {
    return ip({"-n", coordinator_, "link", "set", link_of(h), up ? "up" : "down"});
  }

private:
  static std::string link_of(size_t h) { return "v" + std::to_string(h + 1); }
  std::string coordinator_;
  std::vector<std::string> hosts_;
  std::vector<std::string> made_;
  std::string failure_;
};

/// `argv` run inside namespace `ns`.
std::vector<std::string> in_namespace(const std::string& ns, std::vector<std::string> argv) {
  argv.insert(argv.begin(), {ip_binary(), "netns", "exec", ns});
  return argv;
}

/// Polls `path` (another process writes it) until it holds `what`, up to `ms`.
bool wait_for_text(const std::string& path, const std::string& what, int ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (std::chrono::steady_clock::now() < deadline) {
    if (test::read_file(path).find(what) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

} // namespace

TEST_CASE("a host whose link is cut is noticed within the silence timeout, and rejoins when the "
          "link is back",
          "[fault][netns][multinode]") {
  test_network net(3);
  if (!net.failure().empty()) {
    WARN("skipped: this machine refuses network namespaces (needs root and a kernel that allows "
         "them): "
         << net.failure());
    return;
  }
  test::temp_dir dir;
  std::mt19937_64 rng(73);
  auto text = test::random_text(rng, 100000);
  test::write_file(dir.file("in.txt"), text);
  std::vector<std::unique_ptr<test::child_process>> nodes;
  std::vector<std::string> addresses;
  for (size_t h = 0; h < 3; ++h) {
    auto address = test_network::address_of(h);
    nodes.push_back(std::make_unique<test::child_process>(
        in_namespace(net.host(h), {WEIR_CLI, "node", "--bind", address, "--port", "7700", "--slots",
                                   "1", "--silence-timeout-ms", "2000", "--port-file",
                                   dir.file("port" + std::to_string(h))}),
        dir.file("node" + std::to_string(h) + ".log")));
    addresses.push_back(address + ":7700");
    REQUIRE_FALSE(test::wait_for_file_line(dir.file("port" + std::to_string(h)), 20000).empty());
  }
  auto state = dir.file("state");
  test::child_process coordinator(
      in_namespace(net.coordinator(), {WEIR_CLI,
                                       "run",
                                       "wordcount",
                                       "--input",
                                       dir.file("in.txt"),
                                       "--output",
                                       dir.file("out"),
                                       "--parallelism",
                                       "3",
                                       "--batch-size",
                                       "4",
                                       "--nodes",
                                       addresses[0] + "," + addresses[1] + "," + addresses[2],
                                       "--state-dir",
                                       state,
                                       "--checkpoint-interval",
                                       "50",
                                       "--restart-attempts",
                                       "3",
                                       "--node-silence-timeout-ms",
                                       "2000",
                                       "--node-wait-ms",
                                       "60000"}),
      dir.file("coordinator.log"));
  auto log = [&] { return test::read_file(dir.file("coordinator.log")); };

  // Cut once a part file is visible: only a completed checkpoint commits one.
  for (int i = 0; i < 2000 && test::count_visible_lines(dir.file("out")) == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10)); // another process writes it: polled
  REQUIRE(test::count_visible_lines(dir.file("out")) > 0);
  REQUIRE(net.set_link(1, false).empty());
  auto cut = std::chrono::steady_clock::now();
  INFO(log());
  REQUIRE(wait_for_text(dir.file("coordinator.log"), "node " + addresses[1] + " is lost", 20000));
  auto noticed = std::chrono::duration<double>(std::chrono::steady_clock::now() - cut).count();
  REQUIRE(
      wait_for_text(dir.file("coordinator.log"), "waiting up to 60000 ms for a lost node", 10000));
  auto status = test::run_command(
      in_namespace(net.coordinator(), {WEIR_CLI, "job", "status", "--state-dir", state}));
  CHECK_THAT(status.output, Catch::Contains("waiting for a lost node")
                                && Catch::Contains("node " + addresses[1] + ": lost"));

  REQUIRE(net.set_link(1, true).empty());
  auto restored = std::chrono::steady_clock::now();
  REQUIRE(wait_for_text(dir.file("coordinator.log"), "node " + addresses[1] + " rejoined", 30000));
  auto rejoined =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - restored).count();
  auto exit_code = coordinator.wait(120000);
  INFO(log());
  REQUIRE(exit_code);
  CHECK(*exit_code == 0);
  auto expected = test::reference_counts(text);
  CHECK(test::counts_committed_once(dir.file("out"))
        == std::map<std::string, int64_t>(expected.begin(), expected.end()));
  std::cout << "network namespaces: link cut noticed after " << noticed
            << " s (silence timeout 2 s), node rejoined " << rejoined
            << " s after the link was restored" << std::endl;
}
