// Where each task's time goes (issue 10, first step): `weir job status`
// gives every task's records and bytes in and out and its busy,
// backpressured and idle shares. With one slow operator in the middle, that
// operator is busy and the source in front of it backpressured.

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

} // namespace

TEST_CASE(
    "job status shows each task's traffic and time: a slow operator busy, its source backpressured",
    "[integration][control]") {
  test::temp_dir dir;
  std::string text;
  for (int i = 0; i < 400000; ++i)
    text += "line " + std::to_string(i) + "\n";
  test::write_file(dir.file("in.txt"), text);
  environment env;
  env.options().batch_size = 64;
  env.options().checkpoints.interval_ms = 1000;
  env.options().checkpoints.state_dir = dir.file("state");
  env.read_text_file(dir.file("in.txt"))
      .uid("lines")
      .map([](const std::string& s) {
        // Slow on purpose: about 20 us of work per record.
        auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(20);
        while (std::chrono::steady_clock::now() < until) {
        }
        return s;
      })
      .uid("slow")
      .sink(file_sink(dir.file("out")))
      .uid("out");
  auto run = std::async(std::launch::async, [&env] { return env.execute("slow-middle"); });
  // Asked once the job has run a while (polled: status is a question).
  std::string status;
  for (int i = 0; i < 400 && share(status, "slow[0/1]", "busy") < 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
    if (auto s = control_job(dir.file("state"), "status")) status = *s;
  }
  std::this_thread::sleep_for(
      std::chrono::milliseconds(1000)); // let the shares settle over a second of running
  if (auto s = control_job(dir.file("state"), "status")) status = *s;
  control_job(dir.file("state"), "cancel");
  run.get();
  INFO(status);
  CHECK(share(status, "slow[0/1]", "busy") >= 60);
  CHECK(share(status, "lines[0/1]", "backpressured") >= 60);
  CHECK(share(status, "out[0/1]", "idle") >= 60);
  CHECK_THAT(status, Catch::Contains("lines[0/1]: running") && Catch::Contains(" records ("));
}
