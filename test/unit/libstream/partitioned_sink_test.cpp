// partitioned_file_sink driven by hand, one call at a time, as the runtime
// drives a sink subtask: where files go, when a partition commits, what a
// restore keeps.

#include <catch2/catch.hpp>

#include <filesystem>
#include <memory>

#include "support/temp_dir.hpp"
#include "weir/partitioned_files.hpp"

using namespace weir;
namespace fs = std::filesystem;

namespace {

constexpr int64_t period = 1000;

time_partitions seconds() {
  return {period, [](int64_t start) { return "s=" + std::to_string(start / period); }};
}

std::unique_ptr<sink_function<std::string>> writer(const std::string& dir, uint32_t index = 0,
                                                   uint32_t parallelism = 1, time_partitions by = seconds()) {
  auto w = partitioned_file_sink(dir, by).factory();
  subtask_info info;
  info.uid = "out";
  info.index = index;
  info.parallelism = parallelism;
  info.run_id = 7;
  w->open(info);
  return w;
}

bool has(const std::string& path) {
  return fs::exists(path);
}

/// Names of the entries in `dir`, sorted, hidden ones included.
std::vector<std::string> entries(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

} // namespace

TEST_CASE("a partition commits once the watermark reaches its last millisecond, not before",
          "[unit][partitioned-sink]") {
  test::temp_dir tmp;
  auto out = tmp.file("out");
  auto w = writer(out);
  w->write_at("a", 999); // the last millisecond of [0, 1000)
  w->write_at("b", 1000);
  w->on_watermark(998);
  w->commit(w->pre_commit());
  CHECK(entries(out + "/s=0") == std::vector<std::string>{"part-out-0.000000"});
  CHECK_FALSE(has(out + "/s=0/_SUCCESS"));
  w->on_watermark(999);
  auto txn = w->pre_commit();
  CHECK_FALSE(has(out + "/s=0/_SUCCESS")); // sealed, but its checkpoint has not completed
  w->commit(txn);
  CHECK(has(out + "/s=0/_SUCCESS"));
  CHECK_FALSE(has(out + "/s=1/_SUCCESS"));
  CHECK(test::read_file(out + "/s=0/part-out-0.000000") == "a\n");
  w->end_of_input();
  w->commit(w->pre_commit());
  CHECK(entries(out + "/s=1") == std::vector<std::string>{"_SUCCESS", "part-out-0.000001"});
  CHECK(test::read_file(out + "/s=1/part-out-0.000001") == "b\n");
}

TEST_CASE("one subtask's partition commit publishes every subtask's pre-committed files, not late ones",
          "[unit][partitioned-sink]") {
  test::temp_dir tmp;
  auto out = tmp.file("out");
  auto w0 = writer(out, 0, 2), w1 = writer(out, 1, 2);
  w0->write_at("x0", 10);
  w1->write_at("x1", 20);
  w0->on_watermark(1500);
  w1->on_watermark(1500);
  w1->write_at("late", 30); // behind the watermark: its own file, committed with its own transaction
  auto t0 = w0->pre_commit(), t1 = w1->pre_commit();
  w0->commit(t0); // w1 has not committed yet: w0 publishes its on-time file
  CHECK(has(out + "/s=0/_SUCCESS"));
  CHECK(test::read_file(out + "/s=0/part-out-1.000000") == "x1\n");
  CHECK(has(out + "/s=0/.part-out-1.000001.late.inprogress"));
  w1->commit(t1); // idempotent for what w0 published
  CHECK(entries(out + "/s=0")
        == std::vector<std::string>{"_SUCCESS", "part-out-0.000000", "part-out-1.000000", "part-out-1.000001"});
  CHECK(test::read_file(out + "/s=0/part-out-1.000001") == "late\n");
}

TEST_CASE("a restored subtask publishes what its checkpoint held and drops what came after",
          "[unit][partitioned-sink]") {
  test::temp_dir tmp;
  auto out = tmp.file("out");
  std::string txn, state;
  {
    auto w = writer(out);
    w->write_at("kept", 100);
    txn = w->pre_commit();
    byte_writer bw(state);
    w->write_state(bw);
    w->write_at("lost", 200); // after the checkpoint: the attempt fails before the next one
  }
  CHECK(entries(out + "/s=0").size() == 2); // both hidden
  auto w = partitioned_file_sink(out, seconds()).factory();
  byte_reader br(state);
  w->read_state(br);
  subtask_info info;
  info.uid = "out";
  info.run_id = 8;
  w->open(info);
  w->recover({txn});
  CHECK(entries(out + "/s=0") == std::vector<std::string>{"part-out-0.000000"});
  CHECK(test::read_file(out + "/s=0/part-out-0.000000") == "kept\n");
  w->end_of_input(); // the restored state knows partition 0 is open: it commits it
  w->commit(w->pre_commit());
  CHECK(has(out + "/s=0/_SUCCESS"));
}

TEST_CASE("a fresh run clears the sink's own files, _SUCCESS markers and emptied partitions only",
          "[unit][partitioned-sink]") {
  test::temp_dir tmp;
  auto out = tmp.file("out");
  {
    auto w = writer(out);
    w->write_at("old", 100);
    w->write_at("old", 5100);
    w->end_of_input();
    w->commit(w->pre_commit());
  }
  test::write_file(out + "/s=5/notes.txt", "the user's");
  test::write_file(out + "/s=5/part-other-0.000000", "another sink's");
  auto w = writer(out);
  CHECK_FALSE(has(out + "/s=0")); // emptied, so removed
  CHECK(entries(out + "/s=5") == std::vector<std::string>{"notes.txt", "part-other-0.000000"});
  w->write_at("new", 100); // the partition directory comes back
  w->end_of_input();
  w->commit(w->pre_commit());
  CHECK(test::read_file(out + "/s=0/part-out-0.000000") == "new\n");
}

TEST_CASE("bad partition paths and records without event time fail naming what is wrong",
          "[unit][partitioned-sink]") {
  test::temp_dir tmp;
  auto escape = writer(tmp.file("a"), 0, 1, {period, [](int64_t) { return std::string("../escape"); }});
  CHECK_THROWS_WITH(escape->write_at("x", 5), Catch::Contains("'../escape'") && Catch::Contains("relative path"));
  auto absolute = writer(tmp.file("b"), 0, 1, {period, [](int64_t) { return std::string("/tmp/x"); }});
  CHECK_THROWS_WITH(absolute->write_at("x", 5), Catch::Contains("'/tmp/x'"));
  auto w = writer(tmp.file("c"));
  CHECK_THROWS_WITH(w->write("x"), Catch::Contains("without event time"));
  CHECK_THROWS_AS(partitioned_file_sink(tmp.file("d"), {0, seconds().path}), std::invalid_argument);
}

TEST_CASE("Hive-style partitions name the UTC minute or day, negative times included", "[unit][partitioned-sink]") {
  CHECK(hive_minutes().path(1700000000000 - 1700000000000 % 60000) == "dt=2023-11-14/hm=22:13");
  CHECK(hive_minutes().period_ms == 60000);
  CHECK(hive_days().path(0) == "dt=1970-01-01");
  CHECK(hive_minutes().path(-60000) == "dt=1969-12-31/hm=23:59");
  test::temp_dir tmp;
  auto w = writer(tmp.file("out"), 0, 1, hive_minutes());
  w->write_at("before 1970", -1); // rounds down into the minute before the epoch
  w->end_of_input();
  w->commit(w->pre_commit());
  CHECK(has(tmp.file("out") + "/dt=1969-12-31/hm=23:59/_SUCCESS"));
}
