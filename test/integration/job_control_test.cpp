// A running job reached through its control endpoint: `weir job status` and
// `weir job cancel` with the token from the state directory, a wrong token
// refused, and files left by a killed job recognised as such.

#include <catch2/catch.hpp>

#include <filesystem>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <sys/stat.h>

#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace {

using weir::test::child_process;

weir::test::command_result weir_cli(std::vector<std::string> args) {
  args.insert(args.begin(), WEIR_CLI);
  return weir::test::run_command(args, 60000);
}

/// A job that runs far longer than the test: cancelled or killed by it.
std::unique_ptr<child_process> start_long_job(const weir::test::temp_dir& dir) {
  return std::make_unique<child_process>(
    std::vector<std::string>{WEIR_CLI, "nexmark", "--query", "q0", "--events", "2000000000", "--output",
                             dir.file("out"), "--state-dir", dir.file("state")},
    dir.file("job.log"));
}

} // namespace

TEST_CASE("weir job status and cancel reach the running job with the state directory's token",
          "[integration][control]") {
  weir::test::temp_dir dir;
  auto state = dir.file("state");
  auto job = start_long_job(dir);
  REQUIRE_FALSE(weir::test::wait_for_file_line(state + "/weir-control", 60000).empty());
  struct stat st {};
  REQUIRE(::stat((state + "/weir-control.token").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600); // only the job's owner reads the token

  auto status = weir_cli({"job", "status", "--state-dir", state});
  INFO(status.output);
  CHECK(status.exit_code == 0);
  CHECK_THAT(status.output, Catch::Contains("job nexmark-q0: running") && Catch::Contains("q0[0/1]"));

  // A client without the token is refused, and the job runs on.
  auto token = weir::test::read_file(state + "/weir-control.token");
  weir::test::write_file(state + "/weir-control.token", "not-the-token\n");
  auto refused = weir_cli({"job", "status", "--state-dir", state});
  CHECK(refused.exit_code == 1);
  CHECK_THAT(refused.output, Catch::Contains("refused") && Catch::Contains("token"));
  weir::test::write_file(state + "/weir-control.token", token);
  CHECK_FALSE(job->wait(0));

  auto cancel = weir_cli({"job", "cancel", "--state-dir", state});
  CHECK(cancel.exit_code == 0);
  CHECK_THAT(cancel.output, Catch::Contains("cancelling job 'nexmark-q0'"));
  auto code = job->wait(60000);
  REQUIRE(code);
  CHECK(*code == 1);
  CHECK_THAT(weir::test::read_file(dir.file("job.log")), Catch::Contains("cancelled by a control request"));
  CHECK_FALSE(std::filesystem::exists(state + "/weir-control")); // the endpoint's files went with it
  CHECK_FALSE(std::filesystem::exists(state + "/weir-control.token"));
  auto after = weir_cli({"job", "status", "--state-dir", state});
  CHECK(after.exit_code == 1);
  CHECK_THAT(after.output, Catch::Contains("no job is running"));
}

TEST_CASE("control files left by a killed job are named as such", "[integration][control]") {
  weir::test::temp_dir dir;
  auto state = dir.file("state");
  auto job = start_long_job(dir);
  REQUIRE_FALSE(weir::test::wait_for_file_line(state + "/weir-control", 60000).empty());
  REQUIRE(job->kill()); // SIGKILL: nothing removes the files
  REQUIRE(std::filesystem::exists(state + "/weir-control"));
  auto status = weir_cli({"job", "status", "--state-dir", state});
  CHECK(status.exit_code == 1);
  CHECK_THAT(status.output, Catch::Contains("no job answers at 127.0.0.1:") && Catch::Contains("killed"));
  auto usage = weir_cli({"job", "pause", "--state-dir", state});
  CHECK(usage.exit_code == 2);
}

TEST_CASE("a port held by a server that never speaks gives an error, not a hang", "[integration][control]") {
  weir::test::temp_dir dir;
  auto state = dir.file("state");
  std::filesystem::create_directories(state);
  int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(listener >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::listen(listener, 4) == 0); // the kernel accepts connections; nobody answers them
  socklen_t len = sizeof addr;
  REQUIRE(::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  weir::test::write_file(state + "/weir-control", std::to_string(ntohs(addr.sin_port)) + "\n");
  weir::test::write_file(state + "/weir-control.token", "whatever\n");
  auto status = weir_cli({"job", "status", "--state-dir", state});
  ::close(listener);
  CHECK(status.exit_code == 1);
  CHECK_THAT(status.output, Catch::Contains("nothing answered") && Catch::Contains("within 15 s"));
}
