// Rescaling, stepped by hand without actors: positions of strided sources
// and of the text file source, and a file sink's files and transactions,
// taken at one parallelism and restored at another, lose nothing and repeat
// nothing.

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "support/part_files.hpp"
#include "support/temp_dir.hpp"
#include "text_file_source.hpp"
#include "weir/sinks.hpp"
#include "weir/strided_lanes.hpp"

using namespace weir;

namespace {

subtask_info subtask(uint32_t index, uint32_t parallelism) {
  subtask_info info;
  info.uid = "out";
  info.index = index;
  info.parallelism = parallelism;
  info.run_id = 7;
  return info;
}

std::string position_of(const strided_lanes& lanes) {
  std::string out;
  byte_writer w(out);
  lanes.write(w);
  return out;
}

/// Runs `count` numbers over `from` subtasks, each emitting `first` numbers,
/// then over `to` subtasks restored from their positions to the end; returns
/// every number emitted, in emission order per phase.
std::vector<uint64_t> emit_rescaled(uint64_t count, uint32_t from, uint32_t to, size_t first) {
  std::vector<uint64_t> seen;
  std::vector<std::string> positions;
  for (uint32_t s = 0; s < from; ++s) {
    strided_lanes lanes;
    REQUIRE(lanes.open(subtask(s, from)));
    lanes.emit(count, first, [&](uint64_t n) { seen.push_back(n); });
    positions.push_back(position_of(lanes));
  }
  for (uint32_t s = 0; s < to; ++s) {
    strided_lanes lanes;
    REQUIRE(lanes.read_rescaled(subtask(s, to), positions));
    REQUIRE(lanes.open(subtask(s, to)));
    uint64_t last = 0;
    bool any = false;
    while (lanes.emit(count, 3, [&](uint64_t n) {
      CHECK((!any || n > last)); // increasing within a subtask
      last = n;
      any = true;
      seen.push_back(n);
    })) {
    }
  }
  return seen;
}

void require_each_once(std::vector<uint64_t> seen, uint64_t count) {
  std::sort(seen.begin(), seen.end());
  REQUIRE(seen.size() == count);
  for (uint64_t i = 0; i < count; ++i) REQUIRE(seen[i] == i);
}

} // namespace

TEST_CASE("strided lanes emit every number once across a change of parallelism", "[unit][rescale]") {
  for (auto [from, to] : {std::pair<uint32_t, uint32_t>{3, 2}, {2, 5}, {4, 1}, {1, 4}, {3, 3}}) {
    INFO(from << " -> " << to);
    require_each_once(emit_rescaled(1000, from, to, 17), 1000);
  }
  // A subtask's own lane is written as the plain next number, as before
  // rescaling existed: checkpoints of earlier runs still restore.
  strided_lanes fresh;
  fresh.open(subtask(1, 3));
  fresh.emit(100, 2, [](uint64_t) {});
  auto position = position_of(fresh);
  byte_reader r(position);
  CHECK(codec<uint64_t>::decode(r) == 7);
  CHECK(r.at_end());
}

TEST_CASE("strided lanes survive two rescales in a row", "[unit][rescale]") {
  const uint64_t count = 500;
  std::vector<uint64_t> seen;
  std::vector<std::string> at3, at2;
  for (uint32_t s = 0; s < 3; ++s) {
    strided_lanes lanes;
    lanes.open(subtask(s, 3));
    lanes.emit(count, 11, [&](uint64_t n) { seen.push_back(n); });
    at3.push_back(position_of(lanes));
  }
  for (uint32_t s = 0; s < 2; ++s) { // 3 -> 2: subtask 0 takes old 0 and 2
    strided_lanes lanes;
    REQUIRE(lanes.read_rescaled(subtask(s, 2), at3));
    lanes.open(subtask(s, 2));
    CHECK(lanes.lanes().size() == (s == 0 ? 2u : 1u));
    lanes.emit(count, 13, [&](uint64_t n) { seen.push_back(n); });
    at2.push_back(position_of(lanes));
  }
  for (uint32_t s = 0; s < 4; ++s) { // 2 -> 4
    strided_lanes lanes;
    REQUIRE(lanes.read_rescaled(subtask(s, 4), at2));
    lanes.open(subtask(s, 4));
    while (lanes.emit(count, 5, [&](uint64_t n) { seen.push_back(n); })) {
    }
  }
  require_each_once(seen, count);
}

namespace {

struct line_collector : detail::collector<std::string> {
  std::vector<std::string> lines;
  void collect(const std::string& v, int64_t) override { lines.push_back(v); }
};

std::string source_position(const detail::text_file_source& src) {
  std::string out;
  byte_writer w(out);
  src.write_position(w);
  return out;
}

/// Reads `path` at `from` subtasks for `first` lines each, then at `to`
/// subtasks from their positions, then (when `again`) at `again` subtasks
/// from those; returns every line read.
std::vector<std::string> read_rescaled(const std::string& path, uint32_t from, uint32_t to, size_t first,
                                       uint32_t again = 0) {
  line_collector sink;
  emitter<std::string> out(&sink);
  std::vector<std::string> positions;
  for (uint32_t s = 0; s < from; ++s) {
    detail::text_file_source src(path);
    src.open(subtask(s, from));
    src.poll(out, first);
    positions.push_back(source_position(src));
  }
  std::vector<std::string> next;
  for (uint32_t s = 0; s < to; ++s) {
    detail::text_file_source src(path);
    REQUIRE(src.read_rescaled_positions(subtask(s, to), positions));
    src.open(subtask(s, to));
    if (again) {
      src.poll(out, first);
      next.push_back(source_position(src));
      continue;
    }
    while (src.poll(out, 7) != source_status::exhausted) {
    }
  }
  for (uint32_t s = 0; s < again; ++s) {
    detail::text_file_source src(path);
    REQUIRE(src.read_rescaled_positions(subtask(s, again), next));
    src.open(subtask(s, again));
    while (src.poll(out, 7) != source_status::exhausted) {
    }
  }
  return sink.lines;
}

} // namespace

TEST_CASE("a text file's lines are read once across changes of parallelism", "[unit][rescale][source]") {
  test::temp_dir dir;
  std::vector<std::string> expected;
  std::string text;
  for (int i = 0; i < 400; ++i) {
    expected.push_back("line " + std::to_string(i) + std::string(static_cast<size_t>(i % 13), 'x'));
    text += expected.back() + "\n";
  }
  test::write_file(dir.file("in.txt"), text);
  std::sort(expected.begin(), expected.end());
  for (auto [from, to, again] : {std::tuple<uint32_t, uint32_t, uint32_t>{2, 4, 0}, {3, 1, 0}, {4, 3, 0},
                                 {2, 1, 3}, {3, 2, 5}, {1, 2, 1}}) {
    for (size_t first : {0u, 1u, 25u}) {
      INFO(from << " -> " << to << " -> " << again << ", first " << first);
      auto lines = read_rescaled(dir.file("in.txt"), from, to, first, again);
      std::sort(lines.begin(), lines.end());
      CHECK(lines == expected);
    }
  }
}

namespace {

/// A file_sink subtask stepped by hand.
struct sink_subtask {
  std::unique_ptr<sink_function<std::string>> fn;
  subtask_info info;

  sink_subtask(const std::string& dir, uint32_t index, uint32_t parallelism)
    : fn(file_sink(dir)()), info(subtask(index, parallelism)) {}
  std::string state() const {
    std::string out;
    byte_writer w(out);
    fn->write_state(w);
    return out;
  }
};

} // namespace

TEST_CASE("a file sink's files change owners with the parallelism: pre-committed ones commit, stray ones go",
          "[unit][rescale][sink]") {
  test::temp_dir dir;
  auto out = dir.file("out");
  // At parallelism 2: each subtask commits one file, pre-commits a second
  // (in the snapshot) and leaves a third uncommitted (after the snapshot).
  std::vector<sink_function<std::string>::old_subtask> old;
  for (uint32_t s = 0; s < 2; ++s) {
    sink_subtask sub(out, s, 2);
    sub.fn->open(sub.info);
    sub.fn->write("committed " + std::to_string(s));
    sub.fn->commit(sub.fn->pre_commit());
    sub.fn->write("pre-committed " + std::to_string(s));
    auto txn = sub.fn->pre_commit();
    old.push_back({s, sub.state(), {txn}});
    sub.fn->write("after the snapshot " + std::to_string(s));
    sub.fn.reset(); // killed: its last file stays hidden
  }
  // Restored at 1: subtask 0 answers for both indexes.
  {
    sink_subtask sub(out, 0, 1);
    REQUIRE(sub.fn->read_rescaled_state(sub.info, old));
    sub.fn->open(sub.info);
    sub.fn->recover({});
    auto lines = test::part_lines(out);
    std::sort(lines.begin(), lines.end());
    CHECK(lines == std::vector<std::string>{"committed 0", "committed 1", "pre-committed 0", "pre-committed 1"});
    sub.fn->write("at one");
    sub.fn->commit(sub.fn->pre_commit()); // numbered after subtask 0's files: nothing is replaced
    CHECK(test::part_lines(out).size() == 5);
    old = {{0, sub.state(), {}}};
  }
  // Restored at 3 from that: index 1 goes back to subtask 1 with its files;
  // subtask 2 owns nothing and writes afresh.
  for (uint32_t s = 0; s < 3; ++s) {
    sink_subtask sub(out, s, 3);
    REQUIRE(sub.fn->read_rescaled_state(sub.info, old));
    sub.fn->open(sub.info);
    sub.fn->recover({});
    sub.fn->write("at three " + std::to_string(s));
    sub.fn->commit(sub.fn->pre_commit());
  }
  auto lines = test::part_lines(out);
  std::sort(lines.begin(), lines.end());
  CHECK(lines == std::vector<std::string>{"at one", "at three 0", "at three 1", "at three 2", "committed 0",
                                          "committed 1", "pre-committed 0", "pre-committed 1"});
}
