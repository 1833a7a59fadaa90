// The connector samples run as a user runs them (`weir run redis-wordcount`
// ...) against the real servers: their word counts match an independent count
// of the sample text, and a run SIGKILLed while following its input resumes
// from its checkpoint with each count written once.

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "support/kafka_mock.hpp"
#include "support/postgres_server.hpp"
#include "support/process.hpp"
#include "support/redis_server.hpp"
#include "support/temp_dir.hpp"

using namespace weir;

namespace {

std::vector<std::string> sample_lines() {
  std::ifstream in(WEIR_SAMPLE_TEXT);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);)
    lines.push_back(line);
  return lines;
}

/// The oracle: words are maximal runs of ASCII letters, lowercased.
std::map<std::string, int> count_words(const std::vector<std::string>& lines, int times = 1) {
  std::map<std::string, int> counts;
  for (const auto& line : lines) {
    std::string word;
    for (char c : line + " ") {
      bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
      if (letter) word += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
      if (!letter && !word.empty()) counts[std::exchange(word, "")] += times;
    }
  }
  return counts;
}

/// Checks running counts written per word: each word's are 1..n once each,
/// n its expected count.
void check_running_counts(std::map<std::string, std::vector<int>> written,
                          const std::map<std::string, int>& expected) {
  REQUIRE(written.size() == expected.size());
  for (auto& [word, counts] : written) {
    std::sort(counts.begin(), counts.end());
    std::vector<int> once(static_cast<size_t>(expected.at(word)));
    for (size_t i = 0; i < once.size(); ++i)
      once[i] = static_cast<int>(i) + 1;
    INFO("word " << word);
    CHECK(counts == once);
  }
}

std::vector<std::string> weir_run(std::vector<std::string> args, const test::temp_dir& dir) {
  std::vector<std::string> argv{WEIR_CLI, "run"};
  argv.insert(argv.end(), args.begin(), args.end());
  for (const char* a : {"--quiet", "--parallelism", "2", "--checkpoint-interval", "20"})
    argv.push_back(a);
  argv.push_back("--state-dir");
  argv.push_back(dir.file("state"));
  return argv;
}

void produce_lines(test::kafka_mock& kafka, const std::vector<std::string>& lines) {
  std::vector<std::pair<std::string, std::string>> messages;
  for (const auto& l : lines)
    messages.emplace_back("", l);
  kafka.produce("lines", messages);
}

/// How many words `lines` hold: the count entries a run writes for them.
size_t word_total(const std::vector<std::string>& lines) {
  size_t total = 0;
  for (const auto& [w, n] : count_words(lines))
    total += static_cast<size_t>(n);
  return total;
}

/// Topics "lines" (`partitions`) and "word-counts" (3), and `lines` produced to the first.
void kafka_topics(test::kafka_mock& kafka, int partitions, const std::vector<std::string>& lines) {
  kafka.create_topic("lines", partitions);
  kafka.create_topic("word-counts", 3);
  produce_lines(kafka, lines);
}

std::map<std::string, std::vector<int>> kafka_counts(test::kafka_mock& kafka) {
  std::map<std::string, std::vector<int>> written;
  for (const auto& m : kafka.read("word-counts"))
    written[m.key].push_back(std::stoi(m.value));
  return written;
}

void add_lines(test::redis_server& redis, const std::vector<std::string>& lines) {
  std::vector<std::vector<std::string>> adds;
  for (const auto& l : lines)
    adds.push_back({"XADD", "weir:lines", "*", "line", l});
  REQUIRE(redis.pipeline(adds));
}

std::map<std::string, std::vector<int>> redis_counts(test::redis_server& redis) {
  std::map<std::string, std::vector<int>> written;
  for (const auto& e : redis.entries("weir:counts"))
    written[e.get("word")].push_back(std::stoi(e.get("count")));
  return written;
}

} // namespace

TEST_CASE("weir run redis-wordcount counts a stream's lines into a stream, and resumes after "
          "SIGKILL from its checkpoint",
          "[integration][connectors][redis][cli]") {
  test::redis_server redis;
  REQUIRE(redis.ready(10000));
  auto lines = sample_lines();
  REQUIRE(lines.size() > 10);
  add_lines(redis, lines);
  test::temp_dir dir;
  auto where = "127.0.0.1:" + std::to_string(redis.where().port);
  auto argv = weir_run({"redis-wordcount", "--redis", where, "--follow"}, dir);
  auto total = word_total(lines);
  // Following the stream, it never ends: killed once `expected` counts are committed.
  auto follow_until = [&](size_t expected, const std::string& log) {
    test::child_process follower(argv, log);
    for (int i = 0; i < 1000 && redis.entries("weir:counts").size() < expected; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(20)); // the server is only known by asking
    REQUIRE(redis.entries("weir:counts").size() == expected);
    CHECK_FALSE(follower.wait(0)); // still following
    CHECK(follower.kill());
  };
  follow_until(total, dir.file("first.log"));
  add_lines(redis, lines); // more input while it is down
  follow_until(2 * total, dir.file("second.log"));
  std::ifstream log(dir.file("second.log"));
  std::string second((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  INFO(second);
  CHECK_THAT(second, Catch::Contains("resuming the unfinished run of 'redis-wordcount' from checkpoint"));
  check_running_counts(redis_counts(redis), count_words(lines, 2));
}

TEST_CASE("weir run kafka-wordcount counts a topic's lines into a topic exactly once",
          "[integration][connectors][kafka][cli]") {
  test::kafka_mock kafka;
  auto lines = sample_lines();
  kafka_topics(kafka, 3, lines);
  test::temp_dir dir;
  auto r = test::run_command(
      weir_run({"kafka-wordcount", "--bootstrap-servers", kafka.bootstrap()}, dir), 120000);
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  check_running_counts(kafka_counts(kafka), count_words(lines));
}

TEST_CASE("weir run kafka-wordcount stopped with a savepoint at parallelism 2 goes on from it at 3",
          "[integration][connectors][kafka][cli]") {
  test::kafka_mock kafka;
  auto lines = sample_lines();
  kafka_topics(kafka, 4, lines);
  auto total = word_total(lines);
  test::temp_dir dir;
  auto state = dir.file("state");
  {
    test::child_process follower(
        weir_run({"kafka-wordcount", "--bootstrap-servers", kafka.bootstrap(), "--follow"}, dir),
        dir.file("first.log"));
    for (int i = 0; i < 1000 && kafka.read("word-counts").size() < total; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(20)); // the mock is only known by asking
    REQUIRE(kafka.read("word-counts").size() == total);
    auto stop = test::run_command(
        {WEIR_CLI, "job", "stop", "--state-dir", state, "--savepoint", "--name", "rescale"}, 60000);
    INFO(stop.output);
    REQUIRE(stop.exit_code == 0);
    auto code = follower.wait(60000);
    REQUIRE(code);
    CHECK(*code == 0);
  }
  produce_lines(kafka, lines); // more input while it is stopped
  auto argv = weir_run({"kafka-wordcount", "--bootstrap-servers", kafka.bootstrap(),
                        "--from-savepoint", "rescale"}, dir);
  argv[std::find(argv.begin(), argv.end(), "--parallelism") - argv.begin() + 1] = "3";
  auto r = test::run_command(argv, 120000);
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.output, Catch::Contains("parallelism 3"));
  check_running_counts(kafka_counts(kafka), count_words(lines, 2));
}

TEST_CASE("weir run postgres-wordcount upserts a file's word counts into a table",
          "[integration][connectors][postgres][cli]") {
  test::postgres_server pg;
  REQUIRE(pg.ready(30000));
  REQUIRE(pg.query("CREATE TABLE word_counts (word text PRIMARY KEY, count bigint)"));
  test::temp_dir dir;
  auto r = test::run_command(weir_run({"postgres-wordcount", "--conninfo", pg.conninfo()}, dir),
                             120000);
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  auto rows = pg.query("SELECT word, count FROM word_counts");
  REQUIRE(rows);
  std::map<std::string, int> table;
  for (const auto& row : *rows)
    table[row[0]] = std::stoi(row[1]);
  CHECK(table == count_words(sample_lines()));
  auto missing = test::run_command(
      weir_run({"postgres-wordcount", "--conninfo", pg.conninfo(), "--table", "nope", "--fresh"}, dir));
  CHECK(missing.exit_code == 1);
  CHECK_THAT(missing.output, Catch::Contains("nope"));
}
