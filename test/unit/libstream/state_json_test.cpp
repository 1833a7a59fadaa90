// Stored values read back as JSON by their type names, without their C++ types.

#include <catch2/catch.hpp>

#include <variant>

#include "support/opaque.hpp"
#include "weir/detail/state_json.hpp"
#include "weir/state.hpp"

using namespace weir;
using weir::test::opaque;

namespace {

/// Encodes `value` with its codec and reads it back by its type name.
template <class T>
std::optional<std::string> as_json(const T& value) {
  std::string bytes;
  encode_value(value, bytes);
  byte_reader in(bytes);
  auto json = detail::json_of(type_name_of<T>(), in);
  if (json) CHECK(in.at_end()); // the whole value, no more
  return json;
}

} // namespace

TEST_CASE("stored values read back as JSON by their type names", "[unit][state-query]") {
  CHECK(as_json(int64_t{-7}) == "-7");
  CHECK(as_json(uint8_t{200}) == "200");
  CHECK(as_json(int32_t{INT32_MIN}) == std::to_string(INT32_MIN));
  CHECK(as_json(true) == "true");
  CHECK(as_json(0.5) == "0.5");
  CHECK(as_json(std::string("a\"b\\c\nd\x01")) == R"("a\"b\\c\nd\u0001")");
  CHECK(as_json(std::make_pair(std::string("k"), int64_t{3})) == R"(["k",3])");
  CHECK(as_json(std::make_tuple(int64_t{1}, std::string("x"), false)) == R"([1,"x",false])");
  CHECK(as_json(std::vector<int64_t>{1, 2, 3}) == "[1,2,3]");
  CHECK(as_json(std::vector<int64_t>{}) == "[]");
  CHECK(as_json(std::variant<int64_t, std::string>(std::string("s"))) == R"({"index":1,"value":"s"})");
  value_state<int64_t> v;
  CHECK(as_json(v) == "null");
  v.update(9);
  CHECK(as_json(v) == "9");
  map_state<std::string, int64_t> m;
  m.put("a", 1);
  m.put("b", 2);
  CHECK(as_json(m) == R"([["a",1],["b",2]])");
}

TEST_CASE("a type only the job's code reads, and bytes that do not match, give nothing", "[unit][state-query]") {
  CHECK(type_name_of<opaque>() == "custom");
  CHECK_FALSE(as_json(opaque{5}));
  CHECK_FALSE(as_json(std::make_pair(int64_t{1}, opaque{2})));
  byte_reader cut(std::string_view("\x05" "ab", 3)); // a string of 5 bytes with 2 there
  CHECK_FALSE(detail::json_of("string", cut));
  byte_reader many(std::string_view("\x7f", 1)); // a list claiming 127 elements in no bytes
  CHECK_FALSE(detail::json_of("list<int64>", many));
  byte_reader any(std::string_view("\x00", 1));
  CHECK_FALSE(detail::json_of("pair<int64", any)); // a malformed name
  CHECK_FALSE(detail::json_of("variant<int64>", any)); // alternative 0, its 8 bytes missing
}
