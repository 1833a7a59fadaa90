// The broadcast state pattern in whole jobs: a low-volume stream of
// thresholds (rules, with event time) broadcast to a keyed function over
// payments. Each payment waits for the watermark and is judged by the
// threshold in force at its time, so the alerts equal an oracle's at any
// parallelism, batch size and chaining, through a restart, and across a
// stop with a savepoint at parallelism 2 and a start from it at 3: the
// rules source has finished by then, so the new subtasks know the rules
// only from the restored broadcast state.

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "support/paced_source.hpp"
#include "support/process.hpp"
#include "support/run_shapes.hpp"
#include "support/temp_dir.hpp"
#include "weir/checkpoints.hpp"
#include "weir/sinks.hpp"
#include "weir/stream.hpp"

using namespace weir;

namespace {

using payment = std::tuple<int64_t, int64_t, int64_t, int64_t>; // account, category, amount, time
using rule = std::tuple<int64_t, int64_t, int64_t>;              // category, threshold, in force from
using history = std::vector<std::pair<int64_t, int64_t>>;        // (from, threshold), by from
using rule_map = std::map<int64_t, history>;                     // by category

constexpr int64_t payments = 20000, categories = 5, rules_count = 40;

payment payment_at(uint64_t i) {
  auto x = static_cast<int64_t>(i);
  return {x % 50, x % categories, (x * 7919) % 1000, x * 5};
}

std::vector<rule> all_rules() {
  std::vector<rule> out;
  for (int64_t j = 0; j < rules_count; ++j) out.emplace_back(j % categories, 300 + (j * 37) % 600, j * 2500);
  return out;
}

/// The threshold in force for `category` at `time`, if any.
std::optional<int64_t> threshold_at(const rule_map& rules, int64_t category, int64_t time) {
  auto it = rules.find(category);
  if (it == rules.end()) return std::nullopt;
  std::optional<int64_t> found;
  for (const auto& [from, threshold] : it->second)
    if (from <= time) found = threshold;
  return found;
}

std::string alert(const payment& p, int64_t threshold) {
  return std::to_string(std::get<0>(p)) + "," + std::to_string(std::get<3>(p)) + ","
         + std::to_string(std::get<2>(p)) + ">" + std::to_string(threshold);
}

std::vector<std::string> oracle() {
  rule_map rules;
  for (const auto& [category, threshold, from] : all_rules()) rules[category].emplace_back(from, threshold);
  std::vector<std::string> out;
  for (uint64_t i = 0; i < payments; ++i) {
    auto p = payment_at(i);
    auto t = threshold_at(rules, std::get<1>(p), std::get<3>(p));
    if (t && std::get<2>(p) > *t) out.push_back(alert(p, *t));
  }
  std::sort(out.begin(), out.end());
  return out;
}

struct pending {
  list_state<payment> waiting;
  void fields(state_fields& f) { f("waiting", waiting); }
};

std::atomic<int> fail{0};

/// Payments keyed by account, judged against the broadcast thresholds once
/// the watermark passes their time. `per_ms` paces the payments (0: as
/// fast as they go).
void build(environment& env, double per_ms, const std::shared_ptr<collected<std::string>>& out) {
  auto rules = env.from_collection(all_rules()).uid("rules").parallelism(1)
                 .assign_timestamps_and_watermarks(watermark_strategy<rule>::for_monotonous_timestamps()
                                                     .with_timestamp_assigner([](const rule& r) { return std::get<2>(r); }))
                 .uid("rule-times").parallelism(1);
  auto source = per_ms > 0 ? env.add_source<payment>(test::paced(payments, per_ms, payment_at))
                           : env.generate(payments, payment_at);
  auto timed = source.uid("payments")
                 .assign_timestamps_and_watermarks(
                   watermark_strategy<payment>::for_bounded_out_of_orderness(std::chrono::milliseconds(300))
                     .with_timestamp_assigner([](const payment& p) { return std::get<3>(p); }))
                 .uid("payment-times");
  broadcast_state_descriptor<int64_t, history> thresholds("thresholds");
  timed.key_by([](const payment& p) { return std::get<0>(p); })
    .connect(rules.broadcast(thresholds))
    .process<std::string, pending>(
      [](const payment& p, pending& s, const rule_map&, keyed_context<int64_t>& ctx, emitter<std::string>&) {
        if (std::get<3>(p) == 60000 && fail.fetch_sub(1) > 0) throw std::runtime_error("once");
        s.waiting.add(p);
        ctx.register_event_time_timer(std::get<3>(p));
      },
      [](const rule& r, rule_map& m, process_context&, emitter<std::string>&) {
        auto& h = m[std::get<0>(r)];
        h.emplace_back(std::get<2>(r), std::get<1>(r));
        std::sort(h.begin(), h.end());
      },
      [](int64_t time, pending& s, const rule_map& m, keyed_context<int64_t>&, emitter<std::string>& out) {
        std::vector<payment> later;
        for (const auto& p : s.waiting.get()) {
          if (std::get<3>(p) > time) {
            later.push_back(p);
            continue;
          }
          auto t = threshold_at(m, std::get<1>(p), std::get<3>(p));
          if (t && std::get<2>(p) > *t) out.emit(alert(p, *t));
        }
        s.waiting.update(std::move(later));
      })
    .uid("judge")
    .sink(collect_sink(out))
    .uid("alerts")
    .parallelism(1);
}

std::vector<std::string> sorted(const std::shared_ptr<collected<std::string>>& c) {
  auto v = c->values();
  std::sort(v.begin(), v.end());
  return v;
}

} // namespace

TEST_CASE("rules broadcast into keyed state give an oracle's alerts at any parallelism, batch size and "
          "chaining, and through a restart",
          "[integration][broadcast]") {
  auto want = oracle();
  REQUIRE(want.size() > 1000);
  for (const auto& shape : test::run_shapes()) {
    fail = shape.failures;
    environment env;
    test::apply_shape(env, shape);
    auto out = std::make_shared<collected<std::string>>();
    build(env, 0, out);
    auto run = env.execute("broadcast-rules");
    INFO(shape << ": " << run.failure.to_string());
    REQUIRE(run.ok());
    CHECK(run.restarts == static_cast<uint32_t>(shape.failures));
    CHECK(sorted(out) == want);
  }
}

TEST_CASE("broadcast state is stored once, read back by state query, and restored to every subtask "
          "when a savepoint at parallelism 2 starts at 3",
          "[integration][broadcast][savepoint][rescale]") {
  test::temp_dir dir;
  fail = 0;
  auto out = std::make_shared<collected<std::string>>();
  {
    environment env;
    env.set_parallelism(2);
    env.options().checkpoints.interval_ms = 50;
    env.options().checkpoints.state_dir = dir.file("state");
    build(env, 8.0, out); // 20000 payments in about 2.5 s
    job_result first;
    std::thread job([&] { first = env.execute("broadcast-rescale"); });
    auto control = test::wait_for_file_line(dir.file("state") + "/weir-control", 60000);
    // Stop once some alerts are committed (the state query below checks that every rule was read).
    CHECK(out->wait_for(1, std::chrono::seconds(60)));
    auto stop = test::run_command({WEIR_CLI, "job", "stop", "--state-dir", dir.file("state"), "--savepoint", "--name",
                                   "rescale"}, 60000);
    job.join();
    INFO(stop.output << first.failure.to_string());
    REQUIRE_FALSE(control.empty());
    REQUIRE(stop.exit_code == 0);
    REQUIRE(first.ok());
    REQUIRE(first.stopped_with == "rescale@1");
  }
  auto at_stop = out->values().size();
  CHECK(at_stop > 0);
  CHECK(at_stop < oracle().size()); // stopped mid-run

  // The thresholds are in the savepoint once: one line per category, in force from each rule's time.
  std::vector<std::string> lines;
  state_query q;
  q.savepoint = "rescale";
  q.operator_uid = "judge";
  auto read = query_state(dir.file("state"), q, [&](const std::string& l) {
    if (l.find("\"broadcast\":true") != std::string::npos) lines.push_back(l);
  });
  if (!read) FAIL(read.error_value().to_string());
  REQUIRE(lines.size() == static_cast<size_t>(categories));
  CHECK(lines[0] == R"({"broadcast":true,"key":0,"thresholds":[[0,300],[12500,485],[25000,670],[37500,855],)"
                    R"([50000,440],[62500,625],[75000,810],[87500,395]]})");

  auto manifest = inspect_savepoint(dir.file("state"), "", "rescale");
  if (!manifest) FAIL(manifest.error_value().to_string());
  INFO(*manifest);
  CHECK_THAT(*manifest, Catch::Contains(R"({"kind":"broadcast","key_type":"int64","fields":[{"name":"thresholds",)"
                                        R"("type":"list<pair<int64,int64>>"}],"keys":5,"timers":0})"));

  environment env;
  env.set_parallelism(3);
  env.options().checkpoints.interval_ms = 50;
  env.options().checkpoints.state_dir = dir.file("state");
  env.options().checkpoints.from_savepoint = "rescale";
  build(env, 0, out);
  auto second = env.execute("broadcast-rescale");
  INFO(second.failure.to_string());
  REQUIRE(second.ok());
  CHECK(second.restored_savepoint == "rescale@1");
  CHECK(sorted(out) == oracle());
}
