// `weir nexmark` with the generator: `generate` writes the events a run with
// --events processes, and wrong combinations of options are usage errors.

#include <catch2/catch.hpp>

#include <algorithm>

#include "support/part_files.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace {

weir::test::command_result weir_cli(std::vector<std::string> args) {
  args.insert(args.begin(), WEIR_CLI);
  return weir::test::run_command(args, 120000);
}

size_t line_count(const std::string& path) {
  auto text = weir::test::read_file(path);
  return static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
}

std::vector<std::string> sorted_parts(const std::string& dir) {
  auto lines = weir::test::part_lines(dir);
  std::sort(lines.begin(), lines.end());
  return lines;
}

} // namespace

TEST_CASE("weir nexmark generate writes the events a run with --events processes", "[integration][nexmark][cli]") {
  weir::test::temp_dir dir;
  auto file = dir.file("events.json");
  auto gen = weir_cli({"nexmark", "generate", "--events", "5000", "--rate", "1000", "--seed", "9", "--output", file});
  REQUIRE(gen.exit_code == 0);
  CHECK_THAT(gen.output, Catch::Contains("5000 events"));
  CHECK(line_count(file) == 5000);
  auto again = weir_cli({"nexmark", "generate", "--events", "5", "--output", file});
  CHECK(again.exit_code == 2); // never overwrites
  CHECK_THAT(again.output, Catch::Contains("cannot create '" + file + "': File exists"));
  CHECK(line_count(file) == 5000);

  auto generated = weir_cli({"nexmark", "--query", "q7", "--events", "5000", "--rate", "1000", "--seed", "9",
                             "--parallelism", "2", "--output", dir.file("g"), "--checkpoint-interval", "0"});
  REQUIRE(generated.exit_code == 0);
  CHECK_THAT(generated.output, Catch::Contains("5000 events in"));
  auto read = weir_cli({"nexmark", "--query", "q7", "--input", file, "--output", dir.file("f"),
                        "--checkpoint-interval", "0"});
  REQUIRE(read.exit_code == 0);
  CHECK_FALSE(sorted_parts(dir.file("g")).empty());
  CHECK(sorted_parts(dir.file("g")) == sorted_parts(dir.file("f")));
}

TEST_CASE("weir nexmark refuses options that do not go together", "[integration][nexmark][cli]") {
  weir::test::temp_dir dir;
  auto out = dir.file("o");
  struct wrong {
    std::vector<std::string> args;
    const char* says;
  };
  std::vector<wrong> cases{
    {{"--query", "q1", "--output", out}, "one of --input FILE or --events N"},
    {{"--query", "q1", "--events", "10", "--input", "x", "--output", out}, "one of --input FILE or --events N"},
    {{"--query", "q1", "--events", "ten", "--output", out}, "--events"},
    {{"--query", "q1", "--events", "10", "--rate", "0", "--output", out}, "--rate"},
    {{"--query", "q1", "--events", "10", "--skip-bad-lines", "--output", out}, "apply to --input only"},
    {{"--query", "q1", "--input", "x", "--seed", "3", "--output", out}, "apply to --events only"},
    {{"generate", "--events", "10"}, "--events and --output are required"},
    {{"--query", "q13", "--events", "10", "--output", out}, "q13 needs a side input"},
    {{"--query", "q0", "--events", "10", "--side-input", "x", "--output", out}, "--side-input applies to q13 only"},
    {{"--query", "q13", "--events", "10", "--side-input", "/nonexistent/side", "--output", out},
     "side input: input '/nonexistent/side': No such file or directory"},
  };
  for (auto& c : cases) {
    c.args.insert(c.args.begin(), "nexmark");
    auto r = weir_cli(c.args);
    INFO(r.output);
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.output, Catch::Contains(c.says));
  }
}

TEST_CASE("weir bench nexmark checks every query's job against its loop", "[integration][nexmark][cli]") {
  auto r = weir_cli({"bench", "nexmark", "--events", "20000", "--runs", "1", "--parallelism", "2"});
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  for (const char* q : {"| q0 |", "| q1 |", "| q2 |", "| q3 |", "| q5 |", "| q7 |", "| q8 |", "| q11 |"})
    CHECK_THAT(r.output, Catch::Contains(q));
  CHECK_THAT(r.output, Catch::Contains("| q5 | replay | 2 |"));
  auto ckpt = weir_cli({"bench", "nexmark", "--query", "q5", "--events", "20000", "--runs", "1", "--sources",
                        "generator", "--checkpoint-interval", "5"});
  INFO(ckpt.output);
  REQUIRE(ckpt.exit_code == 0);
  CHECK_THAT(ckpt.output, Catch::Contains("without checkpoints events/s | kept |"));
  CHECK_THAT(ckpt.output, Catch::Contains("| q5 | generator | 1 |"));
  auto bad = weir_cli({"bench", "nexmark", "--query", "q99"});
  CHECK(bad.exit_code == 2);
  CHECK_THAT(bad.output, Catch::Contains("unknown query 'q99'"));
}
