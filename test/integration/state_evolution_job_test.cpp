// Upgrading a job through a savepoint: a keyed process function's State
// gains a field between versions and the state carries over (the new field
// empty); a version that changed a field's type is refused before it runs.

#include <catch2/catch.hpp>

#include <future>
#include <map>

#include "support/paced_source.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "weir/control.hpp"
#include "weir/sinks.hpp"
#include "weir/stream.hpp"

using namespace weir;

namespace {

using visit = std::pair<int64_t, int64_t>; // user, sequence
using tally = std::tuple<int64_t, int64_t, int64_t>; // user, visits, visits counted by the new field

const int64_t visits = 60000, users = 6;

struct state_v1 {
  value_state<int64_t> visits;
  void fields(state_fields& f) { f("visits", visits); }
};

struct state_v2 { // "since_upgrade" added
  value_state<int64_t> visits;
  value_state<int64_t> since_upgrade;
  void fields(state_fields& f) { f("visits", visits)("since_upgrade", since_upgrade); }
};

struct state_changed { // "visits" became a string
  value_state<std::string> visits;
  void fields(state_fields& f) { f("visits", visits); }
};

template <class State>
void count(const visit& v, State& s, emitter<tally>& out) {
  if constexpr (std::is_same_v<State, state_changed>) {
    s.visits.update(std::to_string(v.second));
  } else if constexpr (std::is_same_v<State, state_v2>) {
    s.visits.update(s.visits.value_or(0) + 1);
    s.since_upgrade.update(s.since_upgrade.value_or(0) + 1);
    out.emit({v.first, s.visits.value(), s.since_upgrade.value()});
  } else {
    s.visits.update(s.visits.value_or(0) + 1);
    out.emit({v.first, s.visits.value(), 0});
  }
}

template <class State>
void build_version(environment& env, const test::temp_dir& dir, double per_ms, const std::string& from_savepoint,
                   std::shared_ptr<collected<tally>> out) {
  env.set_parallelism(2);
  env.options().checkpoints.interval_ms = 50;
  env.options().checkpoints.state_dir = dir.file("state");
  env.options().checkpoints.from_savepoint = from_savepoint;
  // Restarts allowed: state the job cannot use must end the run at once, not
  // be retried (a retried refusal would end "(after 3 restarts)").
  env.options().restart = restart_strategy::fixed_delay(3, 0);
  env.add_source<visit>(test::paced(static_cast<uint64_t>(visits), per_ms,
                                    [](uint64_t i) { return visit{static_cast<int64_t>(i) % users, static_cast<int64_t>(i)}; }))
    .uid("visits")
    .key_by([](const visit& v) { return v.first; })
    .template process<tally, State>([](const visit& v, State& s, keyed_context<int64_t>&, emitter<tally>& e) {
      count(v, s, e);
    })
    .uid("per-user")
    .sink(collect_sink(out))
    .uid("out");
}

template <class State>
job_result run_version(const test::temp_dir& dir, double per_ms, const std::string& from_savepoint,
                       std::shared_ptr<collected<tally>> out) {
  environment env;
  build_version<State>(env, dir, per_ms, from_savepoint, std::move(out));
  return env.execute("visits");
}

/// environment::check_savepoint for `State` from savepoint `from`.
template <class State>
expected<std::string> check_version(const test::temp_dir& dir, const std::string& from) {
  environment env;
  build_version<State>(env, dir, 1000, from, std::make_shared<collected<tally>>());
  return env.check_savepoint("visits");
}

} // namespace

TEST_CASE("a State that gained a field restores from a savepoint, and a changed field type is refused",
          "[integration][savepoint][evolution]") {
  test::temp_dir dir;
  auto first = std::make_shared<collected<tally>>();
  // Version 1, slow enough to be stopped with a savepoint half way.
  auto running = std::async(std::launch::async, [&] { return run_version<state_v1>(dir, 10, "", first); });
  REQUIRE_FALSE(test::wait_for_file_line(dir.file("state") + "/weir-control", 60000).empty());
  auto stop = control_job(dir.file("state"), "stop v1", 60000);
  if (!stop) FAIL(stop.error_value().message());
  auto stopped = running.get();
  REQUIRE(stopped.ok());
  CHECK(stopped.stopped_with == "v1@1");
  // What version 1 committed is exactly what its savepoint holds.
  std::map<int64_t, int64_t> at_savepoint;
  for (const auto& t : first->values())
    at_savepoint[std::get<0>(t)] = std::max(at_savepoint[std::get<0>(t)], std::get<1>(t));
  int64_t before = 0;
  for (const auto& [user, n] : at_savepoint) before += n;
  CHECK(before > 0);
  CHECK(before < visits);

  // The dry runs say so first, and change nothing.
  auto check_changed = check_version<state_changed>(dir, "v1");
  REQUIRE_FALSE(check_changed);
  CHECK_THAT(check_changed.error_value().message(), Catch::Contains("field 'visits'"));
  auto check_v2 = check_version<state_v2>(dir, "v1");
  if (!check_v2) FAIL(check_v2.error_value().message());
  CHECK_THAT(*check_v2, Catch::Contains("per-user (keyed_process, parallelism 2): restored\n")
                          && Catch::Contains("visits (source, parallelism 2): restored\n")
                          && Catch::Contains("every task restores"));

  // A version whose "visits" is a string: refused, nothing runs.
  auto refused_out = std::make_shared<collected<tally>>();
  auto refused = run_version<state_changed>(dir, 1000, "v1", refused_out);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.failure.code() == errc::incompatible_state);
  CHECK_THAT(refused.failure.message(), Catch::Contains("per-user") && Catch::Contains("field 'visits'")
                                          && Catch::Contains("value<int64>") && Catch::Contains("value<string>"));
  CHECK_THAT(refused.failure.message(), !Catch::Contains("restarts)")); // refused once, not retried

  // Version 2 carries the counts on; its new field starts empty.
  auto second = std::make_shared<collected<tally>>();
  auto upgraded = run_version<state_v2>(dir, 1000, "v1", second);
  INFO(upgraded.failure.to_string());
  REQUIRE(upgraded.ok());
  CHECK(upgraded.restored_savepoint == "v1@1");
  std::map<int64_t, std::pair<int64_t, int64_t>> last; // user -> (visits, since the upgrade)
  for (const auto& [user, total, since] : second->values()) {
    auto& l = last[user];
    l = {std::max(l.first, total), std::max(l.second, since)};
  }
  REQUIRE(last.size() == static_cast<size_t>(users));
  int64_t counted_since = 0;
  for (const auto& [user, l] : last) {
    CHECK(l.first == visits / users); // every visit counted once across the upgrade
    counted_since += l.second;
  }
  CHECK(counted_since == visits - before); // the new field counted from zero at the upgrade
}
