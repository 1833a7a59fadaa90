// Cap'n Proto structs as record types: built, copied, encoded, read in place
// from a batch, and hostile bytes refused with a clear error.

#include <catch2/catch.hpp>

#include <cstring>
#include <vector>

#include "weir/capnp_record.hpp"
#include "weir/schema/nexmark.capnp.h"

using namespace weir;
using Bid = nexmark::schema::Bid;
using bid_record = capnp_record<Bid>;

namespace {

bid_record make_bid(int64_t price, const std::string& url) {
  return bid_record::build([&](Bid::Builder b) {
    b.setAuction(1000 + price);
    b.setPrice(price);
    b.setChannel("Google");
    b.setUrl(url);
  });
}

struct capture final : detail::collector<bid_record> {
  std::vector<bid_record> values; // copies: owned records
  std::vector<const char*> urls;  // where each view's url lay while it was read
  void collect(const bid_record& value, int64_t) override {
    values.push_back(value);
    urls.push_back(value->getUrl().begin());
  }
};

/// A sealed frame of `records`, in a word-aligned buffer as a channel delivers it.
std::vector<uint64_t> frame_of(const std::vector<bid_record>& records) {
  detail::batch_builder builder;
  for (const auto& r : records)
    builder.add(detail::no_timestamp, [&](detail::byte_buffer& p) {
      byte_writer w(p);
      codec<bid_record>::encode(r, w);
    });
  auto bytes = builder.seal(0, 0);
  std::vector<uint64_t> words(bytes.size() / 8);
  std::memcpy(words.data(), bytes.data(), bytes.size());
  return words;
}

/// Reads every record of `frame` through the in-place reader.
capture read_all(const std::vector<uint64_t>& frame) {
  auto view = detail::decode_frame(reinterpret_cast<const char*>(frame.data()), frame.size() * 8);
  REQUIRE(view);
  capture out;
  detail::typed_batch_reader<bid_record> reader(&out);
  size_t blocked = 0;
  bool full = false;
  auto n = reader.read(*view, 0, view->size(), blocked, full); // throws for a bad record
  CHECK(n == view->size());
  return out;
}

/// A frame holding one record of raw `words` (a hand-made root and content).
std::vector<uint64_t> raw_frame(const std::vector<uint64_t>& words) {
  detail::batch_builder builder;
  builder.add(detail::no_timestamp, [&](detail::byte_buffer& p) {
    byte_writer w(p);
    detail::put_capnp_record_words(reinterpret_cast<const capnp::word*>(words.data()), words.size(), w);
  });
  auto bytes = builder.seal(0, 7);
  std::vector<uint64_t> out(bytes.size() / 8);
  std::memcpy(out.data(), bytes.data(), bytes.size());
  return out;
}

} // namespace

TEST_CASE("a capnp record is built, read, copied and defaults like its struct", "[unit][capnp]") {
  auto b = make_bid(42, "https://x.com/a");
  CHECK(b->getPrice() == 42);
  CHECK(b->getUrl() == "https://x.com/a");
  auto copy = b;
  CHECK(copy->getUrl().begin() == b->getUrl().begin()); // owned words are shared, not copied
  bid_record empty;
  CHECK(empty->getPrice() == 0);
  CHECK(empty->getUrl() == "");
  auto again = bid_record(b.get()); // from a reader: a deep copy
  CHECK(again->getUrl() == "https://x.com/a");
  CHECK(again->getUrl().begin() != b->getUrl().begin());
  CHECK(codec<bid_record>::type_name() == "capnp:nexmark.capnp:Bid");
}

TEST_CASE("a capnp record survives the codec's round trip through a string", "[unit][capnp]") {
  std::string bytes;
  encode_value(make_bid(7, "u"), bytes);
  bid_record back;
  REQUIRE(decode_value(bytes, back));
  CHECK(back->getPrice() == 7);
  CHECK(back->getUrl() == "u");
  CHECK_FALSE(decode_value(bytes.substr(0, bytes.size() - 1), back)); // cut short
}

TEST_CASE("records of a batch are read where they lie, and copies outlive the batch", "[unit][capnp]") {
  std::vector<bid_record> in;
  for (int i = 0; i < 5; ++i) in.push_back(make_bid(i, std::string(static_cast<size_t>(i) * 9, 'u')));
  in.push_back(bid_record()); // a null root reads as the defaults
  capture out;
  {
    auto frame = frame_of(in);
    out = read_all(frame);
    // The views' urls lay in one batch buffer, in order, each after the one before.
    for (size_t i = 1; i < 5; ++i) CHECK(out.urls[i] > out.urls[i - 1]);
  }
  REQUIRE(out.values.size() == in.size());
  for (size_t i = 0; i < 5; ++i) {
    CHECK(out.values[i]->getPrice() == static_cast<int64_t>(i));
    CHECK(out.values[i]->getUrl() == std::string(i * 9, 'u'));
    CHECK(out.values[i]->getChannel() == "Google");
  }
  CHECK(out.values[5]->getPrice() == 0);
}

TEST_CASE("a frame whose reading pauses resumes at the record where it stopped", "[unit][capnp]") {
  std::vector<bid_record> in;
  for (int i = 0; i < 4; ++i) in.push_back(make_bid(i, "u" + std::to_string(i)));
  auto frame = frame_of(in);
  auto view = detail::decode_frame(reinterpret_cast<const char*>(frame.data()), frame.size() * 8);
  REQUIRE(view);
  size_t blocked = 0;
  bool full = false;
  struct pausing final : detail::collector<bid_record> {
    capture seen;
    size_t* blocked = nullptr;
    void collect(const bid_record& value, int64_t ts) override {
      seen.collect(value, ts);
      if (seen.values.size() == 2) *blocked = 1; // the output ran out of credit
    }
  } out;
  out.blocked = &blocked;
  detail::typed_batch_reader<bid_record> reader(&out);
  REQUIRE(reader.read(*view, 0, view->size(), blocked, full) == 2);
  blocked = 0;
  REQUIRE(reader.read(*view, 2, view->size(), blocked, full) == 4);
  for (int64_t i = 0; i < 4; ++i) CHECK(out.seen.values[static_cast<size_t>(i)]->getPrice() == i);
  // One layout for the frame: the resumed records lie after the first ones.
  CHECK(out.seen.urls[2] > out.seen.urls[1]);
}

TEST_CASE("a record passed on is copied as its bytes, not re-encoded", "[unit][capnp]") {
  auto frame = frame_of({make_bid(3, "https://x.com/b")});
  auto first = read_all(frame);
  std::string once, twice;
  encode_value(make_bid(3, "https://x.com/b"), once);
  encode_value(first.values[0], twice);
  CHECK(once == twice);
}

TEST_CASE("hostile record bytes fail naming the record, or the field read, never reading out of bounds",
          "[unit][capnp]") {
  // A list pointer where the root struct pointer belongs.
  CHECK_THROWS_WITH(read_all(raw_frame({0x0000000100000001})),
                    Catch::Contains("record 0 of frame 7") && Catch::Contains("not a struct pointer"));
  // A struct pointer whose struct lies past the end of everything.
  CHECK_THROWS_WITH(read_all(raw_frame({0x0001000400001000})),
                    Catch::Contains("record 0 of frame 7") && Catch::Contains("capnp:nexmark.capnp:Bid"));
  // A valid root whose text pointer (the channel) points far away: the struct
  // reads, the field does not; inside an operator that fails it by name.
  auto good = make_bid(1, "x");
  std::vector<uint64_t> words(good.words().size());
  std::memcpy(words.data(), good.words().begin(), words.size() * 8);
  // Root: struct pointer, offset 0, 4 data words, 3 pointers; the channel's
  // pointer is the first pointer word after the 4 data words.
  REQUIRE((words[0] & 3) == 0);
  words[1 + 4] = 0x0000001200100001; // a list pointer 0x40000 words ahead
  auto hostile = read_all(raw_frame(words));
  REQUIRE(hostile.values.size() == 1);
  CHECK(hostile.values[0]->getPrice() == 1);
  subtask_info info;
  info.uid = "reader";
  CHECK_THROWS_WITH(detail::guarded(info, [&] { return hostile.values[0]->getChannel().size(); }),
                    Catch::Contains("reader[0/1]") && Catch::Contains("Cap'n Proto"));
  // Bad length or padding bytes.
  byte_reader cut(std::string_view("\x05\x09", 2));
  CHECK(detail::capnp_record_words(cut).empty());
  CHECK_FALSE(cut.ok());
}
