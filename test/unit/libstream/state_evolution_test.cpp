// State evolution: keyed state stored with one version of a State struct
// restored into another. An added field starts empty, a dropped one is left
// out, a field whose type changed is refused naming it.

#include <catch2/catch.hpp>

#include "weir/detail/keyed_state.hpp"
#include "weir/detail/snapshot.hpp"
#include "weir/state.hpp"

using namespace weir;
using detail::state_traits;

namespace {

struct version1 {
  value_state<int64_t> count;
  list_state<std::string> seen;
  void fields(state_fields& f) { f("count", count)("seen", seen); }
};

// A field added between the two, and "seen" moved after it.
struct version2 {
  value_state<int64_t> count;
  map_state<std::string, int64_t> per_page;
  list_state<std::string> seen;
  void fields(state_fields& f) { f("count", count)("per_page", per_page)("seen", seen); }
};

// "seen" dropped.
struct version3 {
  value_state<int64_t> count;
  void fields(state_fields& f) { f("count", count); }
};

// "count" changed its type.
struct changed {
  value_state<std::string> count;
  list_state<std::string> seen;
  void fields(state_fields& f) { f("count", count)("seen", seen); }
};

template <class State>
detail::state_schema schema_of() {
  return {"keyed_process", "string", state_traits<State>::schema(), ""};
}

/// Key group 3 holding "alice" -> {count 2, seen a b} and "bob" -> {count 5}, as version1.
std::string stored_blob() {
  detail::key_group_state kg;
  kg.key_group = 3;
  auto add = [&](const std::string& key, int64_t count, std::vector<std::string> seen) {
    version1 s;
    s.count.update(count);
    for (auto& page : seen) s.seen.add(page);
    kg.entries.add([&](byte_writer& w) {
      codec<std::string>::encode(key, w);
      state_traits<version1>::encode(s, w);
    });
  };
  add("alice", 2, {"a", "b"});
  add("bob", 5, {});
  return detail::encode_key_group(schema_of<version1>(), kg);
}

template <class State>
expected<detail::key_group_state> restore_as(const std::string& blob) {
  auto defaults = state_traits<State>::default_fields();
  return detail::decode_key_group(blob, 3, schema_of<State>(), "visits[0/1] key group 3", defaults, true);
}

template <class State>
std::vector<std::pair<std::string, State>> entries_of(const detail::key_group_state& kg) {
  std::vector<std::pair<std::string, State>> out;
  kg.entries.for_each("test", [&](byte_reader& r) {
    auto key = codec<std::string>::decode(r);
    State s;
    state_traits<State>::decode(s, r);
    out.emplace_back(std::move(key), std::move(s));
  });
  return out;
}

} // namespace

TEST_CASE("a field added to a State restores empty, the others keep their values", "[unit][state][evolution]") {
  auto kg = restore_as<version2>(stored_blob());
  if (!kg) FAIL(kg.error_value().message());
  auto entries = entries_of<version2>(*kg);
  REQUIRE(entries.size() == 2);
  CHECK(entries[0].first == "alice");
  CHECK(entries[0].second.count.value() == 2);
  CHECK(entries[0].second.seen.get() == std::vector<std::string>{"a", "b"});
  CHECK(entries[0].second.per_page.empty());
  CHECK(entries[1].second.count.value() == 5);
  CHECK(entries[1].second.seen.get().empty());
}

TEST_CASE("a field dropped from a State is left behind", "[unit][state][evolution]") {
  auto kg = restore_as<version3>(stored_blob());
  REQUIRE(kg);
  auto entries = entries_of<version3>(*kg);
  REQUIRE(entries.size() == 2);
  CHECK(entries[0].second.count.value() == 2);
  CHECK(entries[1].second.count.value() == 5);
}

TEST_CASE("a State field whose type changed is refused, naming the operator and the field",
          "[unit][state][evolution]") {
  auto kg = restore_as<changed>(stored_blob());
  REQUIRE_FALSE(kg);
  CHECK(kg.error_value().code() == errc::incompatible_state);
  CHECK_THAT(kg.error_value().message(), Catch::Contains("visits[0/1]") && Catch::Contains("field 'count'")
                                           && Catch::Contains("value<int64>") && Catch::Contains("value<string>"));
  // Without evolution (an operator whose state has a fixed form) any
  // difference is refused as before.
  auto fixed = detail::decode_key_group(stored_blob(), 3, schema_of<version2>(), "visits", {}, false);
  REQUIRE_FALSE(fixed);
  CHECK_THAT(fixed.error_value().message(), Catch::Contains("but the job keeps"));
}
