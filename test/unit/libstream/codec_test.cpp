#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <tuple>
#include <utility>
#include <variant>
#include <vector>

#include "weir/codec.hpp"

using namespace weir;

namespace {

template <class T>
T round_trip(const T& value) {
  std::string bytes;
  encode_value(value, bytes);
  T out{};
  REQUIRE(decode_value(bytes, out));
  return out;
}

} // namespace

TEST_CASE("codecs round-trip arithmetic types, strings and compositions", "[unit][codec]") {
  CHECK(round_trip<int64_t>(-42) == -42);
  CHECK(round_trip<uint32_t>(4000000000u) == 4000000000u);
  CHECK(round_trip<double>(0.908) == 0.908);
  CHECK(round_trip<std::string>("") == "");
  CHECK(round_trip<std::string>(std::string(300, 'x')) == std::string(300, 'x'));
  CHECK(round_trip(std::pair<std::string, int64_t>{"river", 7}) == std::pair<std::string, int64_t>{"river", 7});
  auto t = std::tuple<int32_t, std::string, double>{3, "weir", 1.5};
  CHECK(round_trip(t) == t);
  std::vector<std::string> words{"a", "", "barge"};
  CHECK(round_trip(words) == words);
}

TEST_CASE("a varint length prefix costs one byte for short strings", "[unit][codec]") {
  std::string bytes;
  encode_value(std::string("abc"), bytes);
  CHECK(bytes.size() == 4);
}

TEST_CASE("every truncation of an encoded value fails to decode", "[unit][codec]") {
  std::string bytes;
  encode_value(std::pair<std::string, int64_t>{"a longer word", 123456789}, bytes);
  for (size_t n = 0; n < bytes.size(); ++n) {
    std::pair<std::string, int64_t> out;
    CHECK_FALSE(decode_value(std::string_view(bytes.data(), n), out));
  }
}

TEST_CASE("trailing bytes after a value fail decode_value", "[unit][codec]") {
  std::string bytes;
  encode_value<int64_t>(5, bytes);
  bytes.push_back('\0');
  int64_t out = 0;
  CHECK_FALSE(decode_value(bytes, out));
}

TEST_CASE("a hostile vector length fails without allocating it", "[unit][codec]") {
  std::string bytes;
  byte_writer w(bytes);
  w.put_varint(uint64_t{1} << 40); // claims a trillion elements
  w.put_raw("ab", 2);
  std::vector<int64_t> out;
  CHECK_FALSE(decode_value(bytes, out));
  CHECK(out.capacity() < 1024);
}

TEST_CASE("an unterminated varint fails", "[unit][codec]") {
  std::string bytes(11, '\xff');
  byte_reader r(bytes);
  r.get_varint();
  CHECK_FALSE(r.ok());
}

TEST_CASE("decode_into reuses a value and gives what a fresh decode gives", "[unit][codec]") {
  using rec = std::variant<std::pair<int64_t, std::string>, std::tuple<std::string, double>, int32_t>;
  std::vector<rec> values{rec{std::pair<int64_t, std::string>{1, std::string(100, 'x')}},
                          rec{std::pair<int64_t, std::string>{2, "short"}},
                          rec{std::tuple<std::string, double>{"", 2.5}},
                          rec{int32_t{7}},
                          rec{std::pair<int64_t, std::string>{3, ""}}};
  rec into;
  for (const auto& v : values) {
    std::string bytes;
    weir::byte_writer w(bytes);
    weir::codec<rec>::encode(v, w);
    weir::byte_reader fresh(bytes), reused(bytes);
    auto decoded = weir::codec<rec>::decode(fresh);
    weir::decode_into(reused, into);
    REQUIRE(reused.ok());
    CHECK(reused.at_end());
    CHECK(into == decoded);
    CHECK(into == v);
  }
  // A string shorter than the one it replaces keeps the buffer but not the old bytes.
  std::string s(64, 'a');
  std::string bytes;
  weir::byte_writer w(bytes);
  weir::codec<std::string>::encode("bc", w);
  weir::byte_reader r(bytes);
  weir::decode_into(r, s);
  CHECK(s == "bc");
  CHECK(s.capacity() >= 64);
  // Truncated input still fails the reader.
  weir::byte_reader cut(std::string_view(bytes).substr(0, 2));
  weir::decode_into(cut, s);
  CHECK_FALSE(cut.ok());
}
