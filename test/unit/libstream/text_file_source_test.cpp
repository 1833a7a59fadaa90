#include <catch2/catch.hpp>

#include <algorithm>
#include <random>

#include "support/temp_dir.hpp"
#include "text_file_source.hpp"
#include "weir/detail/operator.hpp"

using namespace weir;

namespace {

struct line_collector : detail::collector<std::string> {
  std::vector<std::string> lines;
  void collect(const std::string& v, int64_t) override { lines.push_back(v); }
};

std::vector<std::string> read_all(const std::string& path, uint32_t parallelism, size_t poll) {
  std::vector<std::string> all;
  for (uint32_t s = 0; s < parallelism; ++s) {
    line_collector sink;
    emitter<std::string> out(&sink);
    detail::text_file_source src(path);
    subtask_info info;
    info.index = s;
    info.parallelism = parallelism;
    src.open(info);
    while (src.poll(out, poll) != source_status::exhausted) {
    }
    all.insert(all.end(), sink.lines.begin(), sink.lines.end());
  }
  return all;
}

} // namespace

TEST_CASE("every line is read exactly once at any parallelism", "[unit][source]") {
  test::temp_dir dir;
  std::mt19937 rng(7);
  std::vector<std::string> expected;
  std::string text;
  for (int i = 0; i < 500; ++i) {
    std::string line(rng() % 40, 'a' + static_cast<char>(i % 26));
    expected.push_back(line);
    text += line + (i % 3 == 0 ? "\r\n" : "\n");
  }
  test::write_file(dir.file("in.txt"), text);
  for (uint32_t p = 1; p <= 9; ++p) {
    for (size_t poll : {1u, 7u, 1000u}) {
      INFO("parallelism " << p << " poll " << poll);
      CHECK(read_all(dir.file("in.txt"), p, poll) == expected);
    }
  }
}

TEST_CASE("a last line without a newline is read", "[unit][source]") {
  test::temp_dir dir;
  test::write_file(dir.file("in.txt"), "first\n\nlast");
  for (uint32_t p = 1; p <= 4; ++p)
    CHECK(read_all(dir.file("in.txt"), p, 10) == std::vector<std::string>{"first", "", "last"});
}

TEST_CASE("an empty file yields no lines", "[unit][source]") {
  test::temp_dir dir;
  test::write_file(dir.file("in.txt"), "");
  CHECK(read_all(dir.file("in.txt"), 2, 10).empty());
}

TEST_CASE("a missing file fails naming the file", "[unit][source]") {
  detail::text_file_source src("/nonexistent/weir.txt");
  subtask_info info;
  CHECK_THROWS_WITH(src.open(info), Catch::Contains("'/nonexistent/weir.txt'"));
}
