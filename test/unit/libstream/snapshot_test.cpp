// Every stateful operator's snapshot, restored into a fresh subtask, makes it
// continue exactly as the original would have: the same outputs for the same
// further input. Also: blobs describe themselves, and state a job cannot use
// is refused with an error naming it.

#include <catch2/catch.hpp>

#include <algorithm>
#include <functional>

#include "support/aggregates.hpp"
#include "support/temp_dir.hpp"
#include "weir/detail/keyed_state.hpp"
#include "weir/detail/plan.hpp"
#include "weir/detail/snapshot.hpp"
#include "weir/sinks.hpp"
#include "weir/stream.hpp"

using namespace weir;
using detail::operator_snapshot;
using std::chrono::milliseconds;

namespace {

using kv = std::pair<std::string, int64_t>;

std::string show(int64_t v) { return std::to_string(v); }
std::string show(const std::string& v) { return v; }
std::string show(const kv& v) { return v.first + "=" + std::to_string(v.second); }
std::string show(const std::pair<int64_t, int64_t>& v) { return std::to_string(v.first) + "=" + std::to_string(v.second); }

/// Collects what a part emits, as "value@timestamp".
template <class R>
struct capture final : detail::collector<R> {
  std::vector<std::string> seen;
  void collect(const R& value, int64_t ts) override { seen.push_back(show(value) + "@" + std::to_string(ts)); }
};

/// One subtask of the operator `uid`, emitting into captures (main and late).
template <class In, class Out, class In2 = In>
struct subtask {
  capture<Out> out;
  capture<In> late;
  subtask_info info;
  std::unique_ptr<detail::part> p;

  subtask(const environment& env, const std::string& uid, uint32_t index = 0, bool checkpointing = false) {
    auto plan = *detail::make_plan(env.graph());
    for (const auto& v : env.graph().vertices) {
      if (v.uid != uid) continue;
      info = plan.info(env.graph(), v.id, index);
      info.checkpointing = checkpointing;
      p = v.make_part(info, {detail::erased_collector::of<Out>(&out), detail::erased_collector::of<In>(&late), {}});
    }
    REQUIRE(p);
  }
  void add(const In& v, int64_t ts) { p->input().template as<In>()->collect(v, ts); }
  void add2(const In2& v, int64_t ts) { p->input2().template as<In2>()->collect(v, ts); }
  void watermark(int64_t wm) { REQUIRE(p->on_watermark(wm)); }
  void poll(size_t n) { static_cast<detail::source_part*>(p.get())->poll(n); }
  operator_snapshot snapshot() {
    operator_snapshot s;
    s.uid = info.uid;
    REQUIRE(p->stateful());
    p->snapshot(s);
    return s;
  }
};

/// Runs `first` then `rest` on one subtask, and `rest` on a subtask restored
/// from the snapshot taken between them (and on one restored from a snapshot
/// of that restored subtask): all three must emit the same after the
/// snapshot. Returns those outputs.
template <class In, class Out, class In2 = In, class First, class Rest>
std::vector<std::string> check_restore_continues(const environment& env, const std::string& uid,
                                                 First first, Rest rest) {
  subtask<In, Out, In2> a(env, uid);
  a.p->open();
  first(a);
  auto snap = a.snapshot();
  a.out.seen.clear();
  a.late.seen.clear();
  rest(a);
  subtask<In, Out, In2> b(env, uid);
  b.p->restore(snap);
  b.p->open();
  auto again = b.snapshot();
  rest(b);
  subtask<In, Out, In2> c(env, uid);
  c.p->restore(again);
  c.p->open();
  rest(c);
  CHECK(b.out.seen == a.out.seen);
  CHECK(c.out.seen == a.out.seen);
  CHECK(b.late.seen == a.late.seen);
  return a.out.seen;
}

auto null_sink() {
  return collect_sink(std::make_shared<collected<std::string>>());
}

} // namespace

TEST_CASE("a restored reduce continues each key's value, composite keys included", "[unit][snapshot]") {
  environment env;
  env.from_collection<kv>({}).uid("src")
    .key_by([](const kv& x) { return std::make_pair(x.first, x.second % 2); })
    .reduce([](const kv& a, const kv& b) { return kv{a.first, a.second + b.second}; }).uid("sum")
    .map([](const kv& x) { return show(x); }).uid("fmt").sink(null_sink()).uid("out");
  auto out = check_restore_continues<kv, kv>(env, "sum",
    [](auto& s) {
      for (int64_t i = 1; i <= 6; ++i) s.add({i % 3 == 0 ? "a" : "b", i}, i);
    },
    [](auto& s) {
      s.add({"a", 7}, 7); // a, odd: 3 + 7
      s.add({"b", 8}, 8); // b, even: 2 + 4 + 8
      s.add({"c", 1}, 9);
    });
  CHECK(out == std::vector<std::string>{"a=10@7", "b=14@8", "c=1@9"});
}

namespace {
struct tally {
  value_state<int64_t> count;
  map_state<std::string, int64_t> by_tag;
  list_state<int64_t> recent;
  bool flagged = false;
  void fields(state_fields& f) { f("count", count)("by_tag", by_tag)("recent", recent)("flagged", flagged); }
};
} // namespace

TEST_CASE("a restored keyed process function keeps its State and its timers", "[unit][snapshot]") {
  manual_clock clock(1000);
  environment env;
  env.options().clock = &clock;
  env.from_collection<kv>({}).uid("src")
    .key_by([](const kv& x) { return x.first; })
    .process<std::string, tally>(
      [](const kv& x, tally& s, keyed_context<std::string>& ctx, emitter<std::string>& out) {
        s.count.update(s.count.value_or(0) + 1);
        s.by_tag.put(std::to_string(x.second % 2), x.second);
        s.recent.add(x.second);
        s.flagged = s.flagged || x.second > 100;
        ctx.register_event_time_timer(ctx.timestamp() + 10);
        if (x.second == 5) ctx.register_processing_time_timer(2000);
        out.emit(ctx.key() + ":" + std::to_string(s.count.value()));
      },
      [](int64_t t, tally& s, keyed_context<std::string>& ctx, emitter<std::string>& out) {
        std::string recent;
        for (auto r : s.recent.get()) recent += std::to_string(r) + " ";
        out.emit(ctx.key() + (ctx.processing_time_timer() ? " ptimer " : " timer ") + std::to_string(t)
                 + " n=" + std::to_string(s.count.value()) + " tags=" + std::to_string(s.by_tag.entries().size())
                 + " recent=" + recent + (s.flagged ? "flagged" : ""));
      })
    .uid("tally").sink(null_sink()).uid("out");
  auto out = check_restore_continues<kv, std::string>(env, "tally",
    [](auto& s) {
      s.add({"x", 5}, 100);
      s.add({"y", 200}, 101);
      s.add({"x", 6}, 102);
      s.watermark(105);
    },
    [&](auto& s) {
      s.add({"y", 3}, 120);
      s.watermark(200); // the timers at 110, 111, 112 and 130 fire
      REQUIRE(s.p->on_processing_time(2000));
    });
  REQUIRE(out.size() == 6);
  CHECK(out[0] == "y:2@120");
  CHECK(out[1] == "x timer 110 n=2 tags=2 recent=5 6 @110");
  CHECK(out[5] == "x ptimer 2000 n=2 tags=2 recent=5 6 @2000");
}

TEST_CASE("restored windows fire once each, keep lateness and count late records", "[unit][snapshot]") {
  environment env;
  auto windows = env.from_collection<kv>({}).uid("src")
    .key_by([](const kv& x) { return x.first; })
    .window(tumbling_event_time_windows::of(milliseconds(10)))
    .allowed_lateness(milliseconds(5))
    .aggregate(test::count_aggregate{}, [](const std::string& k, const time_window& w, const int64_t& n,
                                           emitter<std::string>& out) {
      out.emit(k + "[" + std::to_string(w.start) + "]=" + std::to_string(n));
    });
  windows.uid("count").sink(null_sink()).uid("out");
  windows.late_data().map([](const kv& x) { return x.first; }).uid("late").sink(null_sink()).uid("late-out");
  auto out = check_restore_continues<kv, std::string>(env, "count",
    [](auto& s) {
      s.add({"a", 0}, 1);
      s.add({"a", 0}, 12);
      s.add({"b", 0}, 3);
      s.watermark(9); // [0,10) fires (at its last millisecond), kept until 14 for lateness
    },
    [](auto& s) {
      s.add({"a", 0}, 5);  // late but within lateness: re-fires [0,10)
      s.watermark(16);     // [0,10) is cleaned up
      s.add({"b", 0}, 2);  // beyond lateness: late data
      s.watermark(30);     // [10,20) fires
    });
  CHECK(out == std::vector<std::string>{"a[0]=2@9", "a[10]=1@19"});
}

TEST_CASE("restored session windows merge as the original's would", "[unit][snapshot]") {
  environment env;
  env.from_collection<kv>({}).uid("src")
    .key_by([](const kv& x) { return x.first; })
    .window(event_time_session_windows::with_gap(milliseconds(10)))
    .aggregate(test::count_aggregate{}, [](const std::string& k, const time_window& w, const int64_t& n,
                                           emitter<std::string>& out) {
      out.emit(k + "[" + std::to_string(w.start) + "," + std::to_string(w.end) + ")=" + std::to_string(n));
    })
    .uid("sessions").sink(null_sink()).uid("out");
  auto out = check_restore_continues<kv, std::string>(env, "sessions",
    [](auto& s) {
      s.add({"a", 0}, 0);
      s.add({"a", 0}, 18);
    },
    [](auto& s) {
      s.add({"a", 0}, 9); // bridges [0,10) and [18,28)
      s.watermark(100);
    });
  CHECK(out == std::vector<std::string>{"a[0,28)=3@27"});
}

TEST_CASE("restored joins keep both sides' buffers", "[unit][snapshot]") {
  using side = std::pair<int64_t, int64_t>; // key, payload
  environment env;
  auto a = env.from_collection<side>({}).uid("a");
  auto b = env.from_collection<side>({}).uid("b");
  a.join(b).where([](const side& x) { return x.first; }).equal_to([](const side& x) { return x.first; })
    .window(tumbling_event_time_windows::of(milliseconds(10)))
    .apply([](const side& l, const side& r) { return std::to_string(l.second) + "+" + std::to_string(r.second); })
    .uid("wjoin").sink(null_sink()).uid("out");
  a.key_by([](const side& x) { return x.first; })
    .interval_join(b.key_by([](const side& x) { return x.first; }))
    .between(milliseconds(-5), milliseconds(5))
    .process([](const side& l, const side& r, emitter<std::string>& out) {
      out.emit(std::to_string(l.second) + "~" + std::to_string(r.second));
    })
    .uid("ijoin").sink(null_sink()).uid("out2");
  auto first = [](auto& s) {
    s.add({1, 10}, 1);
    s.add2({1, 20}, 3);
    s.add({2, 30}, 4);
    s.watermark(2);
  };
  auto rest = [](auto& s) {
    s.add2({1, 40}, 6);
    s.add2({2, 50}, 8);
    s.watermark(100);
  };
  auto window = check_restore_continues<side, std::string, side>(env, "wjoin", first, rest);
  std::sort(window.begin(), window.end());
  CHECK(window == std::vector<std::string>{"10+20@9", "10+40@9", "30+50@9"});
  auto interval = check_restore_continues<side, std::string, side>(env, "ijoin", first, rest);
  CHECK(interval == std::vector<std::string>{"10~40@6", "30~50@8"});
}

TEST_CASE("a restored source continues after the last record it emitted", "[unit][snapshot]") {
  test::temp_dir dir;
  test::write_file(dir.file("in.txt"), "one\ntwo\nthree\nfour\nfive\n");
  environment env;
  std::vector<std::string> letters{"a", "b", "c", "d", "e", "f", "g"};
  env.from_collection(letters).uid("letters").sink(null_sink()).uid("out");
  env.generate(9, [](uint64_t i) { return std::to_string(i * i); }).uid("squares").sink(null_sink()).uid("out2");
  env.read_text_file(dir.file("in.txt")).uid("lines").sink(null_sink()).uid("out3");
  auto first = [](auto& s) { s.poll(3); };
  auto rest = [](auto& s) { s.poll(100); };
  CHECK(check_restore_continues<std::string, std::string>(env, "letters", first, rest)
        == std::vector<std::string>{"d@" + std::to_string(INT64_MIN), "e@" + std::to_string(INT64_MIN),
                                    "f@" + std::to_string(INT64_MIN), "g@" + std::to_string(INT64_MIN)});
  CHECK(check_restore_continues<std::string, std::string>(env, "squares", first, rest).front()
        == "9@" + std::to_string(INT64_MIN));
  CHECK(check_restore_continues<std::string, std::string>(env, "lines", first, rest)
        == std::vector<std::string>{"four@" + std::to_string(INT64_MIN), "five@" + std::to_string(INT64_MIN)});
}

TEST_CASE("a checkpointed job refuses a source without a position, naming it", "[unit][snapshot]") {
  struct endless : source_function<int64_t> {
    source_status poll(emitter<int64_t>&, size_t) override { return source_status::idle; }
  };
  environment env;
  env.add_source<int64_t>([] { return std::make_unique<endless>(); }).uid("feed")
    .sink(collect_sink(std::make_shared<collected<int64_t>>())).uid("out");
  subtask<int64_t, int64_t> without(env, "feed");
  CHECK_NOTHROW(without.p->open());
  subtask<int64_t, int64_t> with(env, "feed", 0, true);
  CHECK_THROWS_WITH(with.p->open(), Catch::StartsWith("feed[0/1]: this source has no position"));
}

TEST_CASE("type names describe state without the job's code", "[unit][snapshot]") {
  CHECK(type_name_of<int64_t>() == "int64");
  CHECK(type_name_of<uint8_t>() == "uint8");
  CHECK(type_name_of<bool>() == "bool");
  CHECK(type_name_of<std::tuple<int32_t, std::string, std::vector<double>>>() == "tuple<int32,string,list<float64>>");
  CHECK(type_name_of<value_state<kv>>() == "value<pair<string,int64>>");
  CHECK(type_name_of<map_state<std::string, std::vector<int64_t>>>() == "map<string,list<int64>>");
  CHECK(detail::state_traits<tally>::schema()
        == std::vector<std::pair<std::string, std::string>>{
             {"count", "value<int64>"}, {"by_tag", "map<string,int64>"}, {"recent", "list<int64>"}, {"flagged", "bool"}});
  struct none {};
  CHECK(detail::state_traits<none>::schema().empty());
  CHECK(detail::state_traits<kv>::schema() == std::vector<std::pair<std::string, std::string>>{{"value", "pair<string,int64>"}});
}

namespace {

/// A State whose reducing_state carries its function: restore must keep it.
struct largest {
  reducing_state<int64_t, std::function<int64_t(int64_t, int64_t)>> max{
    [](int64_t a, int64_t b) { return std::max(a, b); }};
  void fields(state_fields& f) { f("max", max); }
};

} // namespace

TEST_CASE("a restored reducing_state keeps its reduce function", "[unit][snapshot]") {
  largest before;
  before.max.add(7);
  before.max.add(3);
  std::string blob;
  byte_writer w(blob);
  state_fields enc(w);
  before.fields(enc);

  largest after;
  after.max.add(100); // replaced by the restore
  byte_reader r(blob);
  state_fields dec(r);
  after.fields(dec);
  REQUIRE(r.ok());
  REQUIRE(after.max.has_value());
  CHECK(after.max.value() == 7);
  after.max.add(5);
  CHECK(after.max.value() == 7); // max, not a default-constructed (empty) function
  after.max.add(9);
  CHECK(after.max.value() == 9);

  largest empty_before;
  std::string empty_blob;
  byte_writer ew(empty_blob);
  state_fields eenc(ew);
  empty_before.fields(eenc);
  byte_reader er(empty_blob);
  state_fields edec(er);
  after.fields(edec);
  CHECK_FALSE(after.max.has_value());
}

namespace {

/// A snapshot of a reduce ("op") over string keys holding two keys.
operator_snapshot reduce_snapshot() {
  environment env;
  env.from_collection<kv>({}).uid("src")
    .key_by([](const kv& x) { return x.first; })
    .reduce([](const kv& a, const kv& b) { return kv{a.first, a.second + b.second}; }).uid("op")
    .map([](const kv& x) { return show(x); }).uid("fmt").sink(null_sink()).uid("out");
  subtask<kv, kv> s(env, "op");
  s.add({"a", 1}, 1);
  s.add({"b", 2}, 2);
  return s.snapshot();
}

template <class F>
errc restore_error(F&& restore, std::string& message) {
  try {
    restore();
  } catch (const detail::state_error& e) {
    message = e.what();
    return e.code();
  }
  return errc::none;
}

} // namespace

TEST_CASE("a key group blob says what it holds", "[unit][snapshot]") {
  auto snap = reduce_snapshot();
  REQUIRE(snap.key_groups.size() == 2);
  auto schema = detail::key_group_schema(snap.key_groups[0].second, "blob");
  REQUIRE(schema);
  CHECK(schema->kind == "reduce");
  CHECK(schema->key_type == "string");
  CHECK(schema->fields == std::vector<std::pair<std::string, std::string>>{{"value", "pair<string,int64>"}});
}

TEST_CASE("state another operator, schema or subtask kept is refused, naming it", "[unit][snapshot]") {
  auto snap = reduce_snapshot();
  std::string message;
  SECTION("another operator under the same uid") {
    environment env;
    env.from_collection<kv>({}).uid("src")
      .key_by([](const kv& x) { return x.first; })
      .window(tumbling_event_time_windows::of(milliseconds(10)))
      .reduce([](const kv& a, const kv&) { return a; }).uid("op")
      .map([](const kv& x) { return show(x); }).uid("fmt").sink(null_sink()).uid("out");
    subtask<kv, kv> s(env, "op");
    CHECK(restore_error([&] { s.p->restore(snap); }, message) == errc::incompatible_state);
    CHECK_THAT(message, Catch::Contains("the checkpoint holds reduce keyed by string {value: pair<string,int64>} "
                                        "but the job keeps window keyed by string"));
  }
  SECTION("another key type") {
    environment env;
    env.from_collection<kv>({}).uid("src")
      .key_by([](const kv& x) { return x.second; })
      .reduce([](const kv& a, const kv&) { return a; }).uid("op")
      .map([](const kv& x) { return show(x); }).uid("fmt").sink(null_sink()).uid("out");
    subtask<kv, kv> s(env, "op");
    CHECK(restore_error([&] { s.p->restore(snap); }, message) == errc::incompatible_state);
    CHECK_THAT(message, Catch::StartsWith("op[0/1] key group ") && Catch::Contains("keyed by int64"));
  }
  SECTION("a key group of another subtask") {
    environment env;
    env.set_parallelism(2);
    env.from_collection<kv>({}).uid("src")
      .key_by([](const kv& x) { return x.first; })
      .reduce([](const kv& a, const kv&) { return a; }).uid("op")
      .map([](const kv& x) { return show(x); }).uid("fmt").sink(null_sink()).uid("out");
    subtask<kv, kv> first(env, "op", 0), second(env, "op", 1);
    bool refused = restore_error([&] { first.p->restore(snap); }, message) == errc::incompatible_state
                   || restore_error([&] { second.p->restore(snap); }, message) == errc::incompatible_state;
    CHECK(refused);
    CHECK_THAT(message, Catch::EndsWith("is not owned by this subtask"));
  }
  SECTION("bytes that are not a key group") {
    environment env;
    env.from_collection<kv>({}).uid("src")
      .key_by([](const kv& x) { return x.first; })
      .reduce([](const kv& a, const kv&) { return a; }).uid("op")
      .map([](const kv& x) { return show(x); }).uid("fmt").sink(null_sink()).uid("out");
    auto truncated = snap;
    truncated.key_groups[0].second.resize(truncated.key_groups[0].second.size() - 8);
    subtask<kv, kv> s(env, "op");
    CHECK(restore_error([&] { s.p->restore(truncated); }, message) == errc::corrupt_state);
    auto garbage = snap;
    garbage.key_groups[0].second = std::string(64, '\xff');
    subtask<kv, kv> t(env, "op");
    CHECK(restore_error([&] { t.p->restore(garbage); }, message) == errc::corrupt_state);
    CHECK_THAT(message, Catch::StartsWith("op[0/1] key group "));
  }
}
