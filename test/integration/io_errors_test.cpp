// Inputs and outputs a user gets wrong: each fails at once with an error
// naming the path and the problem, and nothing that is not Weir's is touched.

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <filesystem>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "nexmark/queries.hpp"
#include "support/part_files.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "weir/job_registry.hpp"
#include "weir/sinks.hpp"
#include "weir/stream.hpp"

using namespace weir;
namespace fs = std::filesystem;

namespace {

test::command_result weir_cli(std::vector<std::string> args) {
  args.insert(args.begin(), WEIR_CLI);
  return test::run_command(args, 60000);
}

} // namespace

TEST_CASE("a FIFO as input is refused at once instead of waiting for a writer", "[integration][io]") {
  test::temp_dir dir;
  auto fifo = dir.file("fifo");
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  auto r = weir_cli({"run", "wordcount", "--input", fifo, "--output", dir.file("out")});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.output, Catch::Contains("input '" + fifo + "': is a FIFO"));
  environment env;
  env.read_text_file(fifo).uid("lines").sink(file_sink(dir.file("out2"))).uid("out");
  auto result = env.execute("fifo");
  CHECK_THAT(result.failure.message(), Catch::Contains("is a FIFO; a job reads regular files only"));
}

TEST_CASE("devices and /proc files are refused rather than read as empty", "[integration][io]") {
  test::temp_dir dir;
  auto zero = weir_cli({"nexmark", "--query", "q0", "--input", "/dev/zero", "--output", dir.file("o")});
  CHECK(zero.exit_code == 2);
  CHECK_THAT(zero.output, Catch::Contains("input '/dev/zero': is a character device"));
  auto proc = weir_cli({"run", "wordcount", "--input", "/proc/self/status", "--output", dir.file("o")});
  CHECK(proc.exit_code == 2);
  CHECK_THAT(proc.output, Catch::Contains("reports a size of 0 but has content"));
  auto directory = weir_cli({"run", "wordcount", "--input", dir.path(), "--output", dir.file("o")});
  CHECK_THAT(directory.output, Catch::Contains("is a directory"));
}

TEST_CASE("a line longer than the bound fails naming file and line", "[integration][io]") {
  nexmark::register_nexmark();
  test::temp_dir dir;
  auto input = dir.file("events.json");
  test::write_file(input, "\n" + std::string(2u << 20, 'x')); // line 2 never ends
  environment env;
  REQUIRE_FALSE(build_registered_job(env, "nexmark", {{"query", "q0"}, {"input", input},
                                                      {"output", dir.file("out")}}));
  auto result = env.execute("long-line");
  CHECK_THAT(result.failure.message(), Catch::Contains(input + ":2: line longer than 1048576 bytes"));
}

TEST_CASE("a second run into an output directory in use is refused", "[integration][io]") {
  test::temp_dir dir;
  auto out = dir.file("out");
  SECTION("by another process") {
    fs::create_directories(out);
    int fd = ::open((out + "/.weir-lock").c_str(), O_RDWR | O_CREAT, 0644);
    REQUIRE(fd >= 0);
    REQUIRE(::flock(fd, LOCK_SH) == 0); // as a sink of another run holds it: shared, with its run and pid
    REQUIRE(::write(fd, "abc 4242\n", 9) == 9);
    test::write_file(dir.file("in.txt"), "some words\n");
    auto r = weir_cli({"run", "wordcount", "--input", dir.file("in.txt"), "--output", out, "--state-dir",
                       dir.file("state")});
    ::close(fd);
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.output, Catch::Contains("output directory '" + out + "' is in use by another run (pid 4242)"));
  }
  SECTION("by another run in this process") {
    std::atomic<bool> release{false};
    std::atomic<bool> holding{false};
    // The first run holds the directory until the second has been refused:
    // its source is idle (no input yet) until then.
    struct waiting_source : source_function<std::string> {
      std::atomic<bool>* release;
      std::atomic<bool>* holding;
      source_status poll(emitter<std::string>& out, size_t) override {
        holding->store(true);
        if (!release->load()) return source_status::idle;
        out.emit("first");
        return source_status::exhausted;
      }
    };
    job_result first_result;
    std::thread first([&] {
      environment env;
      env.add_source<std::string>([&] {
           auto s = std::make_unique<waiting_source>();
           s->release = &release;
           s->holding = &holding;
           return s;
         }).uid("src")
        .sink(file_sink(out)).uid("out");
      first_result = env.execute("first");
    });
    while (!holding.load()) std::this_thread::yield(); // the sink opened before the source polled
    environment env;
    env.from_collection<std::string>({"second"}).uid("src").sink(file_sink(out)).uid("out");
    auto second = env.execute("second");
    release = true;
    first.join();
    CHECK_THAT(second.failure.message(), Catch::Contains("is in use by another run in this process"));
    REQUIRE(first_result.ok());
    CHECK(test::part_lines(out) == std::vector<std::string>{"first"});
  }
}

TEST_CASE("a sink replaces only its own regular part files", "[integration][io]") {
  test::temp_dir dir;
  auto out = dir.file("out");
  fs::create_directories(out + "/part-y");                       // a directory
  REQUIRE(::mkfifo((out + "/part-x").c_str(), 0600) == 0);      // a FIFO
  test::write_file(out + "/part-other-0", "another sink's\n");   // another uid's file
  test::write_file(out + "/part-out-2-0", "uid out-2's\n");      // looks like ours, is not
  test::write_file(out + "/part-out-5", "stale\n");              // ours, from parallelism 6 (older naming)
  test::write_file(out + "/part-out-0.000003", "stale\n");       // ours, from an earlier run
  test::write_file(out + "/.part-out-0.000000.inprogress", "debris\n"); // ours, from a failed run
  environment env;
  env.from_collection<std::string>({"a", "b"}).uid("src").sink(file_sink(out)).uid("out");
  REQUIRE(env.execute("replace").ok());
  CHECK(fs::is_directory(out + "/part-y"));
  CHECK(fs::is_fifo(out + "/part-x"));
  CHECK(test::read_file(out + "/part-other-0") == "another sink's\n");
  CHECK(test::read_file(out + "/part-out-2-0") == "uid out-2's\n");
  CHECK_FALSE(fs::exists(out + "/part-out-5"));
  CHECK_FALSE(fs::exists(out + "/part-out-0.000003"));
  CHECK_FALSE(fs::exists(out + "/.part-out-0.000000.inprogress"));
  CHECK(test::read_file(out + "/part-out-0.000000") == "a\nb\n");
  SECTION("and refuses to replace anything else") {
    fs::remove(out + "/part-out-0.000000");
    fs::create_directories(out + "/part-out-0.000000");
    environment again;
    again.from_collection<std::string>({"a"}).uid("src").sink(file_sink(out)).uid("out");
    auto result = again.execute("replace");
    CHECK_THAT(result.failure.message(), Catch::Contains("is in the way and is not a regular file"));
    CHECK(fs::is_directory(out + "/part-out-0.000000"));
  }
}
