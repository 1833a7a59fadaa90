// Where each task's time goes (issue 10): `weir job status` gives every
// task's records and bytes in and out and its busy, backpressured and idle
// shares, and names the bottleneck. With one slow operator, that operator is
// busy and named, the source in front of it backpressured and the sink idle,
// at parallelism 1 and 3, and the name moves when the slow operator moves.

#include <catch2/catch.hpp>

#include <chrono>
#include <future>
#include <regex>
#include <string>
#include <thread>

#include "support/temp_dir.hpp"
#include "weir/control.hpp"
#include "weir/sinks.hpp"
#include "weir/stream.hpp"

using namespace weir;

namespace {

/// The percentage after `what ` on the status line of task `task`, or -1.
int share(const std::string& status, const std::string& task, const std::string& what) {
  std::smatch m;
  std::regex line("  " + std::regex_replace(task, std::regex(R"([\[\]/])"), R"(\$&)") + ":[^\n]*");
  if (!std::regex_search(status, m, line)) return -1;
  std::string text = m.str();
  std::smatch n;
  if (!std::regex_search(text, n, std::regex(what + " ([0-9]+)%"))) return -1;
  return std::stoi(n[1].str());
}

/// Every line through a map "first" then a map "second"; the one named
/// `slow` does about 100 us of work per record (far more than the others, so
/// that even on a loaded machine it stands out). Returns the job's status
/// after two seconds of running (the job is then cancelled).
std::string status_with_slow(const std::string& slow, uint32_t parallelism) {
  test::temp_dir dir;
  std::string text;
  for (int i = 0; i < 400000; ++i)
    text += "line " + std::to_string(i) + "\n";
  test::write_file(dir.file("in.txt"), text);
  environment env;
  env.set_parallelism(parallelism);
  env.options().batch_size = 64;
  env.options().checkpoints.interval_ms = 1000;
  env.options().checkpoints.state_dir = dir.file("state");
  auto work = [](bool slow) {
    return [slow](const std::string& s) {
      auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(slow ? 100 : 0);
      while (slow && std::chrono::steady_clock::now() < until) {
      }
      return s;
    };
  };
  env.read_text_file(dir.file("in.txt"))
      .uid("lines")
      .map(work(slow == "first"))
      .uid("first")
      .map(work(slow == "second"))
      .uid("second")
      .sink(file_sink(dir.file("out")))
      .uid("out");
  auto run = std::async(std::launch::async, [&env] { return env.execute("slow-operator"); });
  std::string status;
  for (int i = 0;
       i < 400 && share(status, slow + "[0/" + std::to_string(parallelism) + "]", "busy") < 0;
       ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(25)); // polled: status is a question
    if (auto s = control_job(dir.file("state"), "status")) status = *s;
  }
  std::this_thread::sleep_for(
      std::chrono::milliseconds(2000)); // shares settle over two seconds of running
  if (auto s = control_job(dir.file("state"), "status")) status = *s;
  control_job(dir.file("state"), "cancel");
  run.get();
  return status;
}

} // namespace

TEST_CASE(
    "job status names the slow operator as the bottleneck at parallelism 1 and 3, wherever it is",
    "[integration][control]") {
  for (uint32_t parallelism : {1u, 3u}) {
    for (std::string slow : {"first", "second"}) {
      auto status = status_with_slow(slow, parallelism);
      INFO("parallelism " << parallelism << ", slow " << slow << "\n" << status);
      auto p = "/" + std::to_string(parallelism) + "]";
      CHECK_THAT(status, Catch::Contains("bottleneck: " + slow + "["));
      // Shares over the task's life so far: the start-up counts as idle, and
      // three slow subtasks share two cores, so the figures are loose.
      CHECK(share(status, slow + "[0" + p, "busy") >= 40);
      CHECK(share(status, "lines[0" + p, "backpressured") >= 60);
      CHECK(share(status, "out[0" + p, "idle") >= 60);
      CHECK_THAT(status,
                 !Catch::Contains(slow + "[0" + p + ": running, no watermark yet, in 0 records"));
    }
  }
}
