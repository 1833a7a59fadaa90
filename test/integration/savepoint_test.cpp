// Savepoints of a running job, end to end through processes: `weir savepoint
// create` and `weir job stop --savepoint` on weir_eo_job (a paced keyed count
// into a transactional file sink), list/inspect/delete, and runs started
// from them with --from-savepoint: exactly-once across the stop, state
// mapped by uid (a missing uid refused, allowed on request, a generated uid
// refused), and `weir state query` agreeing with what the job had committed.

#include <catch2/catch.hpp>

#include <leveldb/db.h>
#include <leveldb/write_batch.h>

#include <signal.h>

#include <map>
#include <set>
#include <sstream>

#include "support/part_files.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace {

using weir::test::child_process;
using weir::test::command_result;

const int64_t records = 30100, keys = 7; // 4300 per key

command_result weir_cli(std::vector<std::string> args, int timeout_ms = 120000) {
  args.insert(args.begin(), WEIR_CLI);
  return weir::test::run_command(args, timeout_ms);
}

/// weir_eo_job on `dir`'s out/ and state/, pacing `per_ms` records per ms, with `extra` arguments.
std::vector<std::string> eo_job(const weir::test::temp_dir& dir, const std::string& per_ms,
                                std::vector<std::string> extra = {}) {
  std::vector<std::string> argv{WEIR_EO_JOB, "--records", std::to_string(records), "--keys", std::to_string(keys),
                                "--per-ms", per_ms, "--interval", "100", "--output", dir.file("out"),
                                "--state-dir", dir.file("state")};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return argv;
}

/// Starts a slow run (about 30 s of records) and waits until it is reachable.
std::unique_ptr<child_process> start_slow(const weir::test::temp_dir& dir, const std::string& log,
                                          std::vector<std::string> extra = {}) {
  auto job = std::make_unique<child_process>(eo_job(dir, "1", std::move(extra)), dir.file(log));
  REQUIRE_FALSE(weir::test::wait_for_file_line(dir.file("state") + "/weir-control", 60000).empty());
  return job;
}

/// The committed "key,sequence,count" lines, checked: each sequence once,
/// each key's counts 1, 2, ... in order. Returns each key's last count.
/// `stopped`: the job was stopped, so what it wrote after its savepoint may
/// lie there uncommitted (hidden) until the next run clears it.
std::map<int64_t, int64_t> check_counts(const std::string& out, std::set<int64_t>* sequences = nullptr,
                                        bool stopped = false) {
  std::map<int64_t, int64_t> count;
  std::set<int64_t> seen;
  for (const auto& line : weir::test::part_lines(out, stopped)) {
    int64_t key = 0, seq = 0, c = 0;
    char comma = 0;
    std::istringstream in(line);
    in >> key >> comma >> seq >> comma >> c;
    INFO(line);
    REQUIRE(seen.insert(seq).second);  // no sequence twice
    REQUIRE(c == count[key] + 1);      // no count lost or repeated
    count[key] = c;
  }
  if (sequences) *sequences = std::move(seen);
  return count;
}

} // namespace

TEST_CASE("stop with a savepoint, then a run from it: every record counted once across the stop",
          "[integration][savepoint]") {
  weir::test::temp_dir dir;
  auto job = start_slow(dir, "first.log");
  auto stop = weir_cli({"job", "stop", "--state-dir", dir.file("state"), "--savepoint", "--name", "upgrade"});
  INFO(stop.output);
  REQUIRE(stop.exit_code == 0);
  CHECK_THAT(stop.output, Catch::Contains("savepoint 'upgrade' version 1") && Catch::Contains("the job stopped"));
  auto code = job->wait(60000);
  REQUIRE(code);
  CHECK(*code == 0); // a stop is no failure
  CHECK_THAT(weir::test::read_file(dir.file("first.log")), Catch::Contains("stopped with savepoint upgrade@1"));
  // Stopped mid-run: some records are committed, not all.
  std::set<int64_t> before;
  auto at_stop = check_counts(dir.file("out"), &before, true);
  CHECK(before.size() > 0);
  CHECK(before.size() < static_cast<size_t>(records));

  // What the job committed is what its savepoint holds: the reduce's state per key.
  auto query = weir_cli({"state", "query", "--state-dir", dir.file("state"), "--savepoint", "upgrade",
                         "--operator", "count"});
  INFO(query.output);
  REQUIRE(query.exit_code == 0);
  for (const auto& [key, c] : at_stop) {
    auto needle = "\"key\":" + std::to_string(key) + ",\"value\":[" + std::to_string(key) + ",";
    auto at = query.output.find(needle);
    REQUIRE(at != std::string::npos);
    auto stored = query.output.substr(at + needle.size());
    stored = stored.substr(stored.find(',') + 1);
    CHECK(std::stoll(stored) == c);
  }

  auto resumed = weir::test::run_command(eo_job(dir, "50", {"--from-savepoint", "upgrade"}), 120000);
  INFO(resumed.output);
  REQUIRE(resumed.exit_code == 0);
  CHECK_THAT(resumed.output, Catch::Contains("starts from savepoint 'upgrade' version 1"));
  std::set<int64_t> all;
  auto final_counts = check_counts(dir.file("out"), &all);
  CHECK(all.size() == static_cast<size_t>(records)); // none lost, none twice (check_counts)
  for (const auto& [key, c] : final_counts) CHECK(c == records / keys);
}

TEST_CASE("savepoints are versioned per name, listed in order, inspected and deleted one by one",
          "[integration][savepoint]") {
  weir::test::temp_dir dir;
  auto state = dir.file("state");
  auto job = start_slow(dir, "job.log");
  for (int i = 1; i <= 2; ++i) {
    auto made = weir_cli({"savepoint", "create", "--state-dir", state, "--name", "nightly"});
    INFO(made.output);
    REQUIRE(made.exit_code == 0);
    CHECK_THAT(made.output, Catch::Contains("savepoint 'nightly' version " + std::to_string(i)));
  }
  auto bad_name = weir_cli({"savepoint", "create", "--state-dir", state, "--name", "no/slash"});
  CHECK(bad_name.exit_code == 2);
  CHECK_THAT(bad_name.output, Catch::Contains("letters, digits"));
  // Without the token nothing is taken.
  auto token = weir::test::read_file(state + "/weir-control.token");
  weir::test::write_file(state + "/weir-control.token", "guess\n");
  auto refused = weir_cli({"savepoint", "create", "--state-dir", state, "--name", "nightly"});
  CHECK(refused.exit_code == 2);
  CHECK_THAT(refused.output, Catch::Contains("refused") && Catch::Contains("token"));
  weir::test::write_file(state + "/weir-control.token", token);
  REQUIRE(weir_cli({"job", "stop", "--state-dir", state, "--savepoint", "--name", "last"}).exit_code == 0);
  REQUIRE(job->wait(60000));

  auto list = weir_cli({"savepoint", "list", "--state-dir", state});
  INFO(list.output);
  REQUIRE(list.exit_code == 0);
  auto v1 = list.output.find("nightly                    1"), v2 = list.output.find("nightly                    2");
  CHECK(list.output.find("last                       1") != std::string::npos);
  REQUIRE(v1 != std::string::npos);
  REQUIRE(v2 != std::string::npos);
  CHECK(v1 < v2);

  auto inspect = weir_cli({"savepoint", "inspect", "--state-dir", state, "nightly@2"});
  INFO(inspect.output);
  REQUIRE(inspect.exit_code == 0);
  CHECK_THAT(inspect.output, Catch::Contains("\"job\": \"exactly-once\"") && Catch::Contains("\"version\": 2")
                               && Catch::Contains("\"job_version\": \"eo-1\"")
                               && Catch::Contains("\"max_parallelism\": 128")
                               && Catch::Contains("\"uid\": \"count\", \"parallelism\": 2")
                               && Catch::Contains("\"kind\":\"reduce\",\"key_type\":\"int64\"")
                               && Catch::Contains("\"uid\": \"numbers\"") && Catch::Contains(",\"hex\":\"")
                               && Catch::Contains("operator numbers = source x2"));

  auto deleted = weir_cli({"savepoint", "delete", "--state-dir", state, "nightly@1"});
  INFO(deleted.output);
  CHECK(deleted.exit_code == 0);
  auto after = weir_cli({"savepoint", "list", "--state-dir", state});
  CHECK(after.output.find("nightly                    1") == std::string::npos);
  CHECK(after.output.find("nightly                    2") != std::string::npos);
  CHECK(after.output.find("last                       1") != std::string::npos);
  auto again = weir_cli({"savepoint", "delete", "--state-dir", state, "nightly@1"});
  CHECK(again.exit_code == 2);
  CHECK_THAT(again.output, Catch::Contains("no version 1") && Catch::Contains("it has 2"));
  auto missing = weir_cli({"savepoint", "inspect", "--state-dir", state, "weekly"});
  CHECK(missing.exit_code == 2);
  CHECK_THAT(missing.output, Catch::Contains("no savepoint 'weekly'") && Catch::Contains("'last', 'nightly'"));
}

TEST_CASE("a run from a savepoint maps state by uid: unmatched refused unless allowed, generated uids refused",
          "[integration][savepoint]") {
  weir::test::temp_dir dir;
  auto job = start_slow(dir, "first.log");
  REQUIRE(weir_cli({"job", "stop", "--state-dir", dir.file("state"), "--savepoint", "--name", "v1"}).exit_code == 0);
  REQUIRE(job->wait(60000));
  auto committed = weir::test::part_lines(dir.file("out"), true).size();
  // The keys counted before the savepoint: only these start over below (a
  // key the slow job had not reached yet counts from 1 as it always would).
  auto counted_before = check_counts(dir.file("out"), nullptr, true);
  REQUIRE(counted_before.size() > 0);

  // The counting operator renamed: its state has no operator to go to.
  auto renamed = weir::test::run_command(eo_job(dir, "50", {"--from-savepoint", "v1", "--count-uid", "tally"}));
  INFO(renamed.output);
  CHECK(renamed.exit_code == 1);
  CHECK_THAT(renamed.output, Catch::Contains("savepoint 'v1' version 1 holds state of operators the job does not "
                                             "have: 'count'")
                               && Catch::Contains("--allow-non-restored-state"));
  CHECK(weir::test::part_lines(dir.file("out"), true).size() == committed); // nothing ran

  // A generated uid on a stateful operator: refused before anything starts.
  auto generated = weir::test::run_command(eo_job(dir, "50", {"--from-savepoint", "v1", "--count-uid", "generated"}));
  INFO(generated.output);
  CHECK(generated.exit_code == 1);
  CHECK_THAT(generated.output, Catch::Contains("generated uids") && Catch::Contains("'reduce-1' (reduce)"));

  // Allowed: the renamed operator starts empty, the rest (source positions,
  // sink) carries on: every record once, and every key counts afresh from 1.
  auto allowed = weir::test::run_command(
    eo_job(dir, "50", {"--from-savepoint", "v1", "--count-uid", "tally", "--allow-non-restored-state", "1"}));
  INFO(allowed.output);
  REQUIRE(allowed.exit_code == 0);
  std::set<int64_t> seen;
  std::map<int64_t, int64_t> count, restarts;
  for (const auto& line : weir::test::part_lines(dir.file("out"))) {
    int64_t key = 0, seq = 0, c = 0;
    char comma = 0;
    std::istringstream in(line);
    in >> key >> comma >> seq >> comma >> c;
    REQUIRE(seen.insert(seq).second);
    if (c == 1 && count[key] > 0) ++restarts[key]; // the new operator's first count
    else REQUIRE(c == count[key] + 1);
    count[key] = c;
  }
  CHECK(seen.size() == static_cast<size_t>(records));
  CHECK(restarts.size() == counted_before.size());
  for (const auto& [key, c] : counted_before) CHECK(restarts.count(key) == 1);
}

TEST_CASE("a savepoint is refused on a job relying on a generated uid, and a missing one is named",
          "[integration][savepoint]") {
  weir::test::temp_dir dir;
  auto job = std::make_unique<child_process>(eo_job(dir, "1", {"--count-uid", "generated"}), dir.file("job.log"));
  REQUIRE_FALSE(weir::test::wait_for_file_line(dir.file("state") + "/weir-control", 60000).empty());
  auto made = weir_cli({"savepoint", "create", "--state-dir", dir.file("state")});
  INFO(made.output);
  CHECK(made.exit_code == 2);
  CHECK_THAT(made.output, Catch::Contains("generated uids for stateful operators: 'reduce-1' (reduce)"));
  REQUIRE(weir_cli({"job", "cancel", "--state-dir", dir.file("state")}).exit_code == 0);
  REQUIRE(job->wait(60000));
  auto missing = weir::test::run_command(eo_job(dir, "50", {"--from-savepoint", "nope"}));
  CHECK(missing.exit_code == 1);
  CHECK_THAT(missing.output, Catch::Contains("no savepoint 'nope'"));
}

namespace {

/// Rewrites (or, with an empty `bytes`, deletes) the first key under
/// `prefix` in the state dir's LevelDB; returns the key.
std::string damage_first(const std::string& state, const std::string& prefix, bool remove) {
  leveldb::DB* raw = nullptr;
  REQUIRE(leveldb::DB::Open(leveldb::Options{}, state, &raw).ok());
  std::unique_ptr<leveldb::DB> db(raw);
  std::unique_ptr<leveldb::Iterator> it(db->NewIterator(leveldb::ReadOptions{}));
  it->Seek(prefix);
  REQUIRE(it->Valid());
  std::string key = it->key().ToString(), value = it->value().ToString();
  REQUIRE(key.rfind(prefix, 0) == 0);
  it.reset();
  if (remove) {
    REQUIRE(db->Delete(leveldb::WriteOptions{}, key).ok());
  } else {
    value[value.size() / 2] ^= 0x20; // same size, other bytes
    REQUIRE(db->Put(leveldb::WriteOptions{}, key, value).ok());
  }
  return key;
}

} // namespace

TEST_CASE("a corrupt or truncated savepoint is refused naming it, and nothing starts", "[integration][savepoint]") {
  weir::test::temp_dir dir;
  auto state = dir.file("state");
  auto job = start_slow(dir, "job.log");
  for (const char* name : {"flipped", "truncated"})
    REQUIRE(weir_cli({"savepoint", "create", "--state-dir", state, "--name", name}).exit_code == 0);
  REQUIRE(weir_cli({"job", "stop", "--state-dir", state, "--savepoint", "--name", "good"}).exit_code == 0);
  REQUIRE(job->wait(60000));
  auto committed = weir::test::part_lines(dir.file("out"), true).size();
  auto flipped = damage_first(state, "sp/exactly-once/flipped/0000000001/state/count/", false);
  auto cut = damage_first(state, "sp/exactly-once/truncated/0000000001/op/numbers/", true);

  auto a = weir::test::run_command(eo_job(dir, "50", {"--from-savepoint", "flipped"}));
  INFO(a.output);
  CHECK(a.exit_code == 1);
  CHECK_THAT(a.output, Catch::Contains("savepoint 'flipped' version 1 blob 'state/count/")
                         && Catch::Contains("does not match its manifest"));
  auto b = weir::test::run_command(eo_job(dir, "50", {"--from-savepoint", "truncated"}));
  INFO(b.output);
  CHECK(b.exit_code == 1);
  CHECK_THAT(b.output, Catch::Contains("savepoint 'truncated' version 1 blob 'op/numbers/") && Catch::Contains("is missing"));
  CHECK(weir::test::part_lines(dir.file("out"), true).size() == committed); // nothing ran

  // The state dir's own checkpoints were not given up for a savepoint that
  // cannot be read: a plain run still resumes from the stop.
  auto resumed = weir::test::run_command(eo_job(dir, "50"));
  INFO(resumed.output);
  REQUIRE(resumed.exit_code == 0);
  CHECK_THAT(resumed.output, Catch::Contains("resuming the unfinished run"));
  std::set<int64_t> all;
  check_counts(dir.file("out"), &all);
  CHECK(all.size() == static_cast<size_t>(records));
}

TEST_CASE("SIGTERM stops a job started with savepoint_on_stop with a savepoint, and a run from it goes on exactly",
          "[integration][savepoint]") {
  weir::test::temp_dir dir;
  auto job = std::make_unique<child_process>(eo_job(dir, "1", {"--savepoint-on-stop", "on-term"}), dir.file("job.log"));
  REQUIRE_FALSE(weir::test::wait_for_file_line(dir.file("state") + "/weir-control", 60000).empty());
  REQUIRE(::kill(job->pid(), SIGTERM) == 0);
  auto code = job->wait(60000);
  REQUIRE(code);
  auto log = weir::test::read_file(dir.file("job.log"));
  INFO(log);
  CHECK(*code == 0); // not killed by the signal: stopped
  CHECK_THAT(log, Catch::Contains("SIGTERM: stopping with savepoint 'on-term'")
                    && Catch::Contains("stopped with savepoint on-term@1"));
  std::set<int64_t> before;
  check_counts(dir.file("out"), &before, true);
  CHECK(before.size() < static_cast<size_t>(records));
  auto resumed = weir::test::run_command(eo_job(dir, "50", {"--from-savepoint", "on-term"}));
  INFO(resumed.output);
  REQUIRE(resumed.exit_code == 0);
  std::set<int64_t> all;
  auto counts = check_counts(dir.file("out"), &all);
  CHECK(all.size() == static_cast<size_t>(records));
  for (const auto& [key, c] : counts) CHECK(c == records / keys);
}

TEST_CASE("reprocessing from a savepoint into a fresh directory gives the original run's output from that point on",
          "[integration][savepoint]") {
  weir::test::temp_dir dir;
  auto job = start_slow(dir, "first.log");
  REQUIRE(weir_cli({"savepoint", "create", "--state-dir", dir.file("state"), "--name", "monday"}).exit_code == 0);
  REQUIRE(weir_cli({"job", "stop", "--state-dir", dir.file("state"), "--savepoint", "--name", "later"}).exit_code == 0);
  REQUIRE(job->wait(60000));
  // Each key's count at Monday's savepoint, read from it.
  auto query = weir_cli({"state", "query", "--state-dir", dir.file("state"), "--savepoint", "monday", "--operator",
                         "count"});
  REQUIRE(query.exit_code == 0);
  std::map<int64_t, int64_t> monday;
  for (int64_t key = 0; key < keys; ++key) {
    auto needle = "\"key\":" + std::to_string(key) + ",\"value\":[" + std::to_string(key) + ",";
    auto at = query.output.find(needle);
    if (at == std::string::npos) continue; // no record of that key yet
    auto rest = query.output.substr(at + needle.size());
    monday[key] = std::stoll(rest.substr(rest.find(',') + 1));
  }
  // The original run goes on to its end.
  REQUIRE(weir::test::run_command(eo_job(dir, "50")).exit_code == 0);
  REQUIRE(weir::test::part_lines(dir.file("out")).size() == static_cast<size_t>(records));

  // Back to Monday, into a fresh directory: the counts after Monday, each
  // once, every record after Monday once (the original's counts from that
  // point on; which sequence gets which count depends on how two source
  // subtasks interleave, in either run).
  auto argv = eo_job(dir, "50", {"--from-savepoint", "monday"});
  *std::find(argv.begin(), argv.end(), dir.file("out")) = dir.file("replay");
  auto replay = weir::test::run_command(argv);
  INFO(replay.output);
  REQUIRE(replay.exit_code == 0);
  std::map<int64_t, std::vector<int64_t>> counts;
  std::set<int64_t> sequences;
  for (const auto& line : weir::test::part_lines(dir.file("replay"))) {
    int64_t key = 0, seq = 0, c = 0;
    char comma = 0;
    std::istringstream in(line);
    in >> key >> comma >> seq >> comma >> c;
    REQUIRE(sequences.insert(seq).second);
    counts[key].push_back(c);
  }
  int64_t before = 0;
  for (const auto& [key, c] : monday) before += c;
  CHECK(before > 0);
  CHECK(sequences.size() == static_cast<size_t>(records - before));
  REQUIRE(counts.size() == static_cast<size_t>(keys));
  for (auto& [key, cs] : counts) {
    INFO("key " << key);
    std::sort(cs.begin(), cs.end());
    REQUIRE(cs.front() == monday[key] + 1);
    REQUIRE(cs.back() == records / keys);
    REQUIRE(cs.size() == static_cast<size_t>(records / keys - monday[key]));
  }
}

TEST_CASE("a running job answers state queries on its checkpoints and savepoints, as the offline query does",
          "[integration][savepoint][state]") {
  weir::test::temp_dir dir;
  auto state = dir.file("state");
  // No periodic checkpoints: the savepoint's stays the latest, retained.
  auto job = start_slow(dir, "job.log", {"--interval", "600000"});
  auto made = weir_cli({"savepoint", "create", "--state-dir", state, "--name", "probe"});
  REQUIRE(made.exit_code == 0);
  auto at = made.output.find("checkpoint ");
  REQUIRE(at != std::string::npos);
  auto checkpoint = std::to_string(std::stoull(made.output.substr(at + 11)));
  auto query = [&](std::vector<std::string> which) {
    std::vector<std::string> args{"state", "query", "--state-dir", state, "--operator", "count"};
    args.insert(args.end(), which.begin(), which.end());
    return weir_cli(args);
  };
  // Asked while the job runs (and holds the LevelDB): the job answers.
  auto live_checkpoint = query({"--checkpoint", checkpoint});
  auto live_savepoint = query({"--savepoint", "probe"});
  auto live_key = query({"--savepoint", "probe", "--key", "3"});
  auto live_unknown = query({"--savepoint", "nope"});
  auto running = weir_cli({"jobs", "list", "--state-dir", state});
  auto status = weir_cli({"job", "status", "--state-dir", state});
  REQUIRE(weir_cli({"job", "cancel", "--state-dir", state}).exit_code == 0);
  REQUIRE(job->wait(60000));
  auto stored = weir_cli({"jobs", "list", "--state-dir", state});
  CHECK_THAT(running.output, Catch::Contains("job exactly-once: running, attempt 1") && Catch::Contains("(running;"));
  CHECK_THAT(status.output, Catch::Contains("numbers[0/2]: running, watermark")
                              || Catch::Contains("numbers[0/2]: running, no watermark yet"));
  CHECK_THAT(stored.output, Catch::Contains("job exactly-once: unfinished: resumes from checkpoint")
                              && Catch::Contains("1 savepoint version(s)"));
  auto offline = query({"--savepoint", "probe"});
  INFO(live_checkpoint.output);
  INFO(offline.output);
  REQUIRE(live_checkpoint.exit_code == 0);
  REQUIRE(offline.exit_code == 0);
  CHECK_THAT(live_checkpoint.output, Catch::Contains("answered by the running job"));
  CHECK_THAT(offline.output, !Catch::Contains("answered by the running job"));
  auto json_lines = [](const std::string& out) {
    std::vector<std::string> lines;
    std::istringstream in(out);
    for (std::string l; std::getline(in, l);)
      if (!l.empty() && l[0] == '{') lines.push_back(l);
    return lines;
  };
  CHECK(json_lines(live_checkpoint.output).size() == static_cast<size_t>(keys));
  CHECK(json_lines(live_checkpoint.output) == json_lines(offline.output));
  CHECK(json_lines(live_savepoint.output) == json_lines(offline.output));
  REQUIRE(json_lines(live_key.output).size() == 1);
  CHECK_THAT(json_lines(live_key.output)[0], Catch::StartsWith("{\"key_group\":") && Catch::Contains("\"key\":3,"));
  CHECK(live_unknown.exit_code == 2);
  CHECK_THAT(live_unknown.output, Catch::Contains("no savepoint 'nope'") && Catch::Contains("'probe'"));
}
