// Corrupt checkpoints (reliability.md section 5): a run fails after several
// checkpoints, its state dir is damaged one way or another, and the same job
// runs again. Each time the damage is named (the checkpoint, LevelDB's
// status), the run falls back to an earlier checkpoint (or repairs, loudly),
// and the final output is exact; if no checkpoint is usable the job refuses
// to start with one message.

#include <catch2/catch.hpp>

#include <leveldb/db.h>
#include <leveldb/options.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>

#include "support/paced_source.hpp"
#include "support/part_files.hpp"
#include "support/temp_dir.hpp"
#include "weir/checkpoints.hpp"
#include "weir/sinks.hpp"
#include "weir/stream.hpp"

using namespace weir;
namespace fs = std::filesystem;

namespace {

constexpr int64_t records = 6000, keys = 20;
std::atomic<bool> failing{false};
std::atomic<int64_t> seen{0};

/// Checkpoints that completed with output so far: each commits a part file
/// per sink subtask.
size_t committed_files(const std::string& out) {
  std::error_code ec;
  size_t n = 0;
  for (fs::directory_iterator it(out, ec), end; !ec && it != end; it.increment(ec))
    n += it->path().filename().string().rfind("part-", 0) == 0 ? 1 : 0;
  return n;
}

/// A keyed count that, while `failing`, throws at record 4000 or later, once
/// at least four checkpoints completed (three are retained).
job_result run_job(const test::temp_dir& dir, std::vector<std::string>& log) {
  seen = 0;
  environment env;
  env.set_parallelism(2);
  env.options().checkpoints.interval_ms = 30;
  env.options().checkpoints.state_dir = dir.file("state");
  env.options().log = [&log](const std::string& line) { log.push_back(line); };
  env.add_source<std::pair<int64_t, int64_t>>(
       test::paced(records, 5.0, [](uint64_t i) { return std::make_pair(static_cast<int64_t>(i) % keys, int64_t{1}); }))
    .uid("numbers")
    .map([out = dir.file("out")](const std::pair<int64_t, int64_t>& r) {
      if (failing && ++seen >= 4000 && committed_files(out) >= 8) throw std::runtime_error("the first run fails here");
      return r;
    })
    .uid("gate")
    .key_by([](const std::pair<int64_t, int64_t>& r) { return r.first; })
    .reduce([](const std::pair<int64_t, int64_t>& a, const std::pair<int64_t, int64_t>& b) {
      return std::make_pair(a.first, a.second + b.second);
    })
    .uid("count")
    .map([](const std::pair<int64_t, int64_t>& r) { return std::to_string(r.first) + "," + std::to_string(r.second); })
    .uid("format")
    .sink(file_sink(dir.file("out")))
    .uid("out");
  return env.execute("corrupt");
}

void check_exact_output(const test::temp_dir& dir) {
  std::map<int64_t, int64_t> last;
  for (const auto& line : test::part_lines(dir.file("out"))) {
    auto comma = line.find(',');
    auto key = std::stoll(line.substr(0, comma));
    auto count = std::stoll(line.substr(comma + 1));
    INFO("key " << key);
    REQUIRE(count == last[key] + 1);
    last[key] = count;
  }
  REQUIRE(last.size() == static_cast<size_t>(keys));
  for (const auto& [k, c] : last) CHECK(c == records / keys);
}

/// The state dir's LevelDB, opened raw to damage it.
struct raw_db {
  leveldb::DB* db = nullptr;
  explicit raw_db(const std::string& dir) {
    leveldb::Options o;
    o.compression = leveldb::kNoCompression; // as Weir writes it, so blobs can be found in files
    REQUIRE(leveldb::DB::Open(o, dir, &db).ok());
  }
  ~raw_db() { delete db; }
  std::vector<std::string> keys_with(const std::string& prefix) {
    std::vector<std::string> out;
    std::unique_ptr<leveldb::Iterator> it(db->NewIterator({}));
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) out.push_back(it->key().ToString());
    return out;
  }
  std::string get(const std::string& key) {
    std::string v;
    REQUIRE(db->Get({}, key, &v).ok());
    return v;
  }
};

std::string checkpoint_key(uint64_t id) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%020llu", static_cast<unsigned long long>(id));
  return "ckpt/corrupt/" + std::string(buf) + "/";
}

/// The retained (complete) checkpoints after the failed run, oldest first.
std::vector<uint64_t> retained(const test::temp_dir& dir) {
  auto listed = list_checkpoints(dir.file("state"));
  REQUIRE(listed);
  std::vector<uint64_t> ids;
  for (const auto& c : listed->second) {
    UNSCOPED_INFO("checkpoint " << c.id << (c.completed ? " completed" : " abandoned: " + c.reason)
                                << (c.retained ? ", retained" : ""));
    if (c.retained) ids.push_back(c.id);
  }
  return ids;
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

/// The file of the state dir whose name ends with `suffix` and holds `needle`.
std::string file_holding(const std::string& dir, const std::string& suffix, const std::string& needle) {
  for (auto& e : fs::directory_iterator(dir)) {
    auto name = e.path().filename().string();
    if (name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0
        && read_bytes(e.path().string()).find(needle) != std::string::npos)
      return e.path().string();
  }
  FAIL("no *" << suffix << " file holds the bytes");
  return "";
}

std::string joined(const std::vector<std::string>& log) {
  std::string out;
  for (const auto& l : log) out += l + "\n";
  return out;
}

} // namespace

TEST_CASE("each kind of damage to a state dir falls back or repairs, with exact output", "[fault][corruption]") {
  test::temp_dir dir;
  std::vector<std::string> log;
  failing = true;
  auto first = run_job(dir, log);
  failing = false;
  REQUIRE_FALSE(first.ok()); // the fault: the run failed, unfinished, with checkpoints
  auto state = dir.file("state");
  uint64_t newest = 0;
  auto find_newest = [&] {
    auto ids = retained(dir);
    REQUIRE(ids.size() == 3);
    newest = ids.back();
  };
  std::string expect; // what the second run must say
  bool falls_back = true;

  SECTION("a byte flipped in a table file") {
    find_newest();
    {
      raw_db db(state);
      db.db->CompactRange(nullptr, nullptr); // everything into table files
    }
    std::string manifest;
    {
      raw_db db(state);
      manifest = db.get(checkpoint_key(newest) + "manifest");
    }
    auto table = file_holding(state, ".ldb", manifest);
    auto bytes = read_bytes(table);
    bytes[bytes.find(manifest) + manifest.size() / 2] ^= 0x40;
    write_bytes(table, bytes);
    expect = "checkpoint " + std::to_string(newest);
    expect += " manifest: state dir '" + state + "': LevelDB: Corruption";
  }
  SECTION("the MANIFEST's first 1000 bytes overwritten") {
    find_newest();
    for (auto& e : fs::directory_iterator(state))
      if (e.path().filename().string().rfind("MANIFEST-", 0) == 0) {
        auto bytes = read_bytes(e.path().string());
        for (size_t i = 0; i < std::min<size_t>(1000, bytes.size()); ++i) bytes[i] ^= static_cast<char>(0x80);
        write_bytes(e.path().string(), bytes);
      }
    expect = "LevelDB: Corruption";
    falls_back = false; // repaired: the newest checkpoint is whole again
  }
  SECTION("CURRENT deleted") {
    find_newest();
    fs::remove(state + "/CURRENT");
    expect = "repairing it with LevelDB's RepairDB";
    falls_back = false;
  }
  SECTION("the log truncated in the middle of a record") {
    // Before anything opens the LevelDB (opening turns its log into a table):
    // the manifest key with the highest id in the log is the newest
    // checkpoint's (the others there are deletions of older ones).
    auto logfile = file_holding(state, ".log", "/manifest");
    auto bytes = read_bytes(logfile);
    size_t at = 0;
    for (auto pos = bytes.find("/manifest"); pos != std::string::npos; pos = bytes.find("/manifest", pos + 1)) {
      auto id = std::stoull(bytes.substr(pos - 20, 20));
      if (id > newest) {
        newest = id;
        at = pos;
      }
    }
    REQUIRE(newest > 0);
    fs::resize_file(logfile, at + 4); // inside the manifest's write
    expect = "checkpoint " + std::to_string(newest) + " has state but no manifest";
  }
  SECTION("the checkpoint's manifest corrupted") {
    find_newest();
    raw_db db(state);
    REQUIRE(db.db->Put({}, checkpoint_key(newest) + "manifest", std::string(64, '\x5a')).ok());
    expect = "checkpoint " + std::to_string(newest) + " manifest: Cap'n Proto rejected it";
  }
  SECTION("a checkpoint's keys deleted") {
    find_newest();
    raw_db db(state);
    for (const auto& key : db.keys_with(checkpoint_key(newest) + "state/"))
      REQUIRE(db.db->Delete({}, key).ok());
    expect = "checkpoint " + std::to_string(newest) + " blob 'state/count/";
  }

  log.clear();
  auto second = run_job(dir, log);
  std::cout << "corruption: " << joined(log);
  INFO(joined(log));
  REQUIRE(second.ok());
  CHECK_THAT(joined(log), Catch::Contains(expect));
  if (falls_back) {
    CHECK(second.resumed_from > 0);
    CHECK(second.resumed_from < newest);
  } else {
    CHECK(second.resumed_from == newest);
  }
  check_exact_output(dir);
}

TEST_CASE("a state dir none of whose checkpoints can be read is refused with one message",
          "[fault][corruption]") {
  test::temp_dir dir;
  std::vector<std::string> log;
  failing = true;
  REQUIRE_FALSE(run_job(dir, log).ok());
  failing = false;
  auto ids = retained(dir);
  REQUIRE(ids.size() == 3);
  {
    raw_db db(dir.file("state"));
    for (auto id : ids) REQUIRE(db.db->Delete({}, checkpoint_key(id) + db.keys_with(checkpoint_key(id) + "op/").front().substr(checkpoint_key(id).size())).ok());
  }
  log.clear();
  auto second = run_job(dir, log);
  REQUIRE_FALSE(second.ok());
  CHECK(second.failure.code() == errc::corrupt_state);
  CHECK_THAT(second.failure.message(),
             Catch::StartsWith("no checkpoint in state dir '" + dir.file("state") + "' can be restored: "));
  for (auto id : ids) CHECK_THAT(second.failure.message(), Catch::Contains("checkpoint " + std::to_string(id)));
}
