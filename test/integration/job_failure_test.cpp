#include <catch2/catch.hpp>

#include "weir/sinks.hpp"
#include "weir/stream.hpp"

using namespace weir;

TEST_CASE("a throwing user function fails the job naming operator and subtask",
          "[integration][failure]") {
  environment env;
  env.set_parallelism(3);
  auto out = std::make_shared<collected<int64_t>>();
  env.generate(100000, [](uint64_t i) { return static_cast<int64_t>(i); }).uid("gen")
    .key_by([](int64_t x) { return x % 10; })
    .reduce([](int64_t a, int64_t b) -> int64_t {
      if (b == 77777) throw std::runtime_error("unlucky record");
      return a + b;
    })
    .uid("sum")
    .sink(collect_sink(out)).uid("out");
  auto result = env.execute("failing");
  REQUIRE_FALSE(result.ok());
  CHECK(result.failure.code() == errc::operator_failed);
  CHECK_THAT(result.failure.message(), Catch::Matches(R"(sum\[[0-2]/3\]: unlucky record)"));
}

TEST_CASE("an unreadable input fails the job naming the file and the source",
          "[integration][failure]") {
  environment env;
  auto out = std::make_shared<collected<std::string>>();
  env.read_text_file("/nonexistent/input.txt").uid("lines").sink(collect_sink(out)).uid("out");
  auto result = env.execute("missing-input");
  REQUIRE_FALSE(result.ok());
  CHECK_THAT(result.failure.message(), Catch::StartsWith("lines[0/1]: input '/nonexistent/input.txt': No such file"));
}

TEST_CASE("an invalid graph fails before anything runs", "[integration][failure]") {
  environment env;
  auto out = std::make_shared<collected<int>>();
  env.from_collection<int>({1}).uid("same").sink(collect_sink(out)).uid("same");
  auto result = env.execute("invalid");
  REQUIRE_FALSE(result.ok());
  CHECK(result.failure.code() == errc::bad_argument);
}

TEST_CASE("multi-node needs a registered job", "[integration][failure]") {
  environment env;
  env.options().nodes = {"127.0.0.1:1"};
  auto out = std::make_shared<collected<int>>();
  env.from_collection<int>({1}).uid("src").sink(collect_sink(out)).uid("out");
  auto result = env.execute("unregistered");
  REQUIRE_FALSE(result.ok());
  CHECK_THAT(result.failure.message(), Catch::Contains("job registry"));
}

TEST_CASE("a job past its time limit fails naming the tasks still running", "[integration][failure]") {
  // A source that never ends (idle forever): only the watchdog stops the job.
  struct endless : source_function<int64_t> {
    source_status poll(emitter<int64_t>&, size_t) override { return source_status::idle; }
  };
  environment env;
  env.options().job_timeout_ms = 300;
  env.add_source<int64_t>([] { return std::make_unique<endless>(); }).uid("endless")
    .sink(collect_sink(std::make_shared<collected<int64_t>>())).uid("out");
  auto result = env.execute("stuck");
  REQUIRE_FALSE(result.ok());
  CHECK(result.failure.code() == errc::timed_out);
  CHECK_THAT(result.failure.message(), Catch::Contains("did not finish within 300 ms; still running: "));
  CHECK_THAT(result.failure.message(), Catch::Contains("endless[0/1]"));
}
