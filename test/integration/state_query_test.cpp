// weir state query: keyed state read back from a checkpoint without the job's
// code, against what the job itself computed.

#include <catch2/catch.hpp>

#include <map>
#include <set>

#include "support/opaque.hpp"
#include "support/temp_dir.hpp"
#include "weir/checkpoints.hpp"
#include "weir/sinks.hpp"
#include "weir/stream.hpp"

using namespace weir;
using weir::test::opaque;

namespace {

using counted = std::pair<std::string, int64_t>;

/// Words counted per word in a reduce (uid "count"), and per word a keyed
/// process function's state of several kinds (uid "seen"), checkpointed.
struct seen_state {
  value_state<int64_t> last;
  list_state<std::string> words;
  map_state<int64_t, bool> lengths;
  value_state<opaque> blob;
  void fields(state_fields& f) { f("last", last)("words", words)("lengths", lengths)("blob", blob); }
};

void run_job(const std::string& state_dir, const std::vector<std::string>& words) {
  environment env;
  env.set_parallelism(2);
  env.options().checkpoints.interval_ms = 20;
  env.options().checkpoints.state_dir = state_dir;
  auto out = std::make_shared<collected<counted>>();
  auto all = env.from_collection(words).uid("words");
  all.map([](const std::string& w) { return counted{w, 1}; })
    .uid("ones")
    .key_by([](const counted& c) { return c.first; })
    .reduce([](const counted& a, const counted& b) { return counted{a.first, a.second + b.second}; })
    .uid("count")
    .sink(collect_sink(out))
    .uid("out");
  all.key_by([](const std::string& w) { return w; })
    .process<std::string, seen_state>([](const std::string& w, seen_state& s, keyed_context<std::string>&,
                                         emitter<std::string>&) {
      s.last.update(s.last.value_or(0) + 1);
      if (s.words.get().empty()) s.words.add(w + "\t\"x\"");
      s.lengths.put(static_cast<int64_t>(w.size()), true);
      s.blob.update(opaque{258});
    })
    .uid("seen")
    .sink(collect_sink(std::make_shared<collected<std::string>>()))
    .uid("seen-out");
  auto result = env.execute("words");
  INFO(result.failure.to_string());
  REQUIRE(result.ok());
}

std::vector<std::string> query(const std::string& dir, const std::string& uid, std::optional<std::string> key = {},
                               uint64_t checkpoint = 0) {
  std::vector<std::string> lines;
  state_query q;
  q.operator_uid = uid;
  q.key = std::move(key);
  q.checkpoint = checkpoint;
  auto read = query_state(dir, q, [&](const std::string& l) { lines.push_back(l); });
  if (!read) FAIL(read.error_value().to_string());
  return lines;
}

} // namespace

TEST_CASE("state query prints each key's state from a checkpoint as the job kept it", "[integration][state-query]") {
  test::temp_dir dir;
  std::vector<std::string> words;
  std::map<std::string, int64_t> counts;
  for (int i = 0; i < 3000; ++i) {
    auto w = "w" + std::to_string(i % 37 * i % 11);
    words.push_back(w);
    ++counts[w];
  }
  run_job(dir.file("state"), words);
  auto lines = query(dir.file("state"), "count");
  REQUIRE(lines.size() == counts.size());
  std::set<std::string> got(lines.begin(), lines.end()), want;
  // The reduce keeps the latest value per key; read back from its key group.
  for (const auto& line : lines) {
    auto key = line.substr(line.find("\"key\":") + 6);
    key = key.substr(1, key.find('"', 1) - 1);
    INFO(line);
    CHECK(line.find("\"value\":[\"" + key + "\"," + std::to_string(counts[key]) + "]") != std::string::npos);
  }
  auto one = query(dir.file("state"), "seen", std::string("w0"));
  REQUIRE(one.size() == 1);
  CHECK(one[0].find("\"key\":\"w0\"") != std::string::npos);
  CHECK(one[0].find("\"last\":" + std::to_string(counts["w0"])) != std::string::npos);
  CHECK(one[0].find("\"words\":[\"w0\\t\\\"x\\\"\"]") != std::string::npos); // tab and quotes escaped
  CHECK(one[0].find("\"lengths\":[[2,true]]") != std::string::npos);
  // Present (01), then 258 as a little-endian int64: its bytes, not a guess.
  CHECK(one[0].find(R"("blob":{"type":"value<custom>","undecoded":"010201000000000000"})") != std::string::npos);
  CHECK(query(dir.file("state"), "seen", std::string("\"w0\"")) == one); // the key as JSON too
  CHECK(query(dir.file("state"), "seen", std::string("nothing")).empty());
}

TEST_CASE("state query names what is missing and lists what is there", "[integration][state-query]") {
  test::temp_dir dir;
  run_job(dir.file("state"), {"a", "b", "a"});
  auto ask = [&](state_query q) {
    auto r = query_state(dir.file("state"), q, [](const std::string&) {});
    REQUIRE_FALSE(r);
    return r.error_value().message();
  };
  state_query q;
  q.operator_uid = "nope";
  CHECK_THAT(ask(q), Catch::Contains("no operator 'nope'") && Catch::Contains("count"));
  q.operator_uid = "count";
  q.checkpoint = 999999;
  CHECK_THAT(ask(q), Catch::Contains("no retained checkpoint 999999"));
  q.checkpoint = 0;
  q.job = "other";
  CHECK_THAT(ask(q), Catch::Contains("no job 'other'") && Catch::Contains("words"));
  auto missing = query_state(dir.file("none"), q, [](const std::string&) {});
  REQUIRE_FALSE(missing);
  CHECK_THAT(missing.error_value().message(), Catch::Contains("holds no state"));
}
