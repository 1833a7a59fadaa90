// The frame decode boundary (reliability.md section 4): whatever bytes a channel
// delivers, decode_frame either returns a view whose every read stays inside
// those bytes, or an errc::malformed_frame error with a message. It never
// throws, and a valid frame decodes right after a rejected one.
//
// Longer than the usual 400 lines on purpose: one test file per module, and
// this one walks the whole section-4 checklist against one decode function.

#include <catch2/catch.hpp>

#include "support/seed.hpp"

#include <capnp/message.h>
#include <capnp/serialize.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <iterator>
#include <new>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "weir/detail/frame.hpp"
#include "weir/schema/frame.capnp.h"

// Records the largest single heap request, so a test can show that an absurd
// segment count is rejected before anything is sized from it.
namespace {
std::atomic<size_t> largest_allocation{0};
void note_allocation(size_t n) {
  size_t seen = largest_allocation.load(std::memory_order_relaxed);
  while (n > seen && !largest_allocation.compare_exchange_weak(seen, n)) {}
}
} // namespace

#if defined(__SANITIZE_ADDRESS__)
#define WEIR_TEST_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define WEIR_TEST_UNDER_ASAN 1
#endif
#endif

#ifdef WEIR_TEST_UNDER_ASAN
// ASan owns operator new (replacing it would blind ASan's new/delete checks for
// every test in this binary); its allocator hooks see each request instead.
// Declared here because GCC ships no <sanitizer/allocator_interface.h>.
extern "C" int __sanitizer_install_malloc_and_free_hooks(
  void (*malloc_hook)(const volatile void*, size_t), void (*free_hook)(const volatile void*));
namespace {
[[maybe_unused]] const int hooks_installed = __sanitizer_install_malloc_and_free_hooks(
  [](const volatile void*, size_t n) { note_allocation(n); }, [](const volatile void*) {});
} // namespace
#else
// libstdc++ routes new[], the nothrow forms and the sized deletes through these
// two, so replacing them sees every non-aligned request. Out of line so GCC
// does not pair an inlined malloc with free and warn.
[[gnu::noinline]] void* operator new(std::size_t n) {
  note_allocation(n);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
[[gnu::noinline]] void operator delete(void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::size_t) noexcept { std::free(p); }
#endif

using Catch::Matchers::Contains;
using namespace weir;
using namespace weir::detail;

namespace {

// Frames are decoded from word-aligned storage holding exactly the frame, so
// ASan reports any read past its end. Cap'n Proto and Weir are little-endian.
using buffer = std::vector<uint64_t>;

buffer aligned(const char* bytes, size_t size) {
  buffer out((size + 7) / 8);
  if (size > 0) std::memcpy(out.data(), bytes, size); // memcpy from null is UB even for 0
  return out;
}
buffer aligned(const std::vector<char>& bytes) { return aligned(bytes.data(), bytes.size()); }
const char* bytes_of(const buffer& b) { return reinterpret_cast<const char*>(b.data()); }

expected<frame_view> decode(const buffer& b, size_t size, const decode_limits& limits = {}) {
  return decode_frame(bytes_of(b), size, limits);
}
expected<frame_view> decode(const buffer& b, const decode_limits& limits = {}) {
  return decode(b, 8 * b.size(), limits);
}

struct record {
  std::string value;
  int64_t timestamp;
};

const std::vector<record> timed_records = {{"alpha", 1700000000000},
                                           {"", -5},
                                           {std::string("b\0c", 3), no_timestamp},
                                           {"delta-delta", INT64_MAX}};
const std::vector<record> untimed_records = {{"x", no_timestamp}, {"yz", no_timestamp}};

std::vector<char> seal(const std::vector<record>& records, uint32_t channel, uint64_t sequence) {
  batch_builder builder;
  for (const auto& r : records) builder.add(r.timestamp, [&](std::string& p) { p += r.value; });
  return builder.seal(channel, sequence);
}

const std::vector<char>& sample_frame() {
  static const std::vector<char> frame = seal(timed_records, 7, 42);
  return frame;
}

void require_records(const frame_view& view, const std::vector<record>& records) {
  REQUIRE(view.type() == frame_view::kind::data);
  REQUIRE(view.size() == records.size());
  for (size_t i = 0; i < records.size(); ++i) {
    CHECK(view.value(i) == records[i].value);
    CHECK(view.timestamp(i) == records[i].timestamp);
  }
}

// Run after rejections: a bad frame must leave nothing behind that spoils the next.
void require_sample_decodes() {
  auto frame = aligned(sample_frame());
  auto view = decode(frame);
  REQUIRE(view);
  CHECK(view->channel() == 7);
  CHECK(view->sequence() == 42);
  require_records(*view, timed_records);
}

void require_malformed(const expected<frame_view>& result, const std::string& needle) {
  REQUIRE_FALSE(result);
  CHECK(result.error_value().code() == errc::malformed_frame);
  CHECK_FALSE(result.error_value().message().empty());
  CHECK_THAT(result.error_value().message(), Contains(needle));
}

// Decodes garbage and, if accepted, reads every record. Returns what went
// wrong, or "" if the frame was safely rejected or safely read.
std::string probe(const buffer& b, size_t size, bool& accepted) {
  accepted = false;
  try {
    auto view = decode(b, size);
    if (!view) {
      const auto& err = view.error_value();
      if (err.code() != errc::malformed_frame || err.message().empty())
        return "rejected without malformed_frame and a message: " + err.to_string();
      return {};
    }
    accepted = true;
    auto begin = reinterpret_cast<uintptr_t>(b.data());
    volatile uint64_t sink = 0; // forces the timestamp loads, which ASan checks
    for (size_t i = 0; i < view->size(); ++i) {
      auto value = view->value(i);
      auto at = reinterpret_cast<uintptr_t>(value.data());
      if (!value.empty() && (at < begin || at - begin > size || value.size() > size - (at - begin)))
        return "record " + std::to_string(i) + " lies outside the frame";
      sink = sink ^ static_cast<uint64_t>(view->timestamp(i));
    }
    return {};
  } catch (const std::exception& ex) {
    return std::string("decode_frame threw: ") + ex.what();
  } catch (...) {
    return "decode_frame threw a non-std exception";
  }
}

// Builds a Frame with Cap'n Proto itself: well-formed to Cap'n Proto, but free
// to break Weir's own batch invariants.
template <class Fill>
buffer build_frame(Fill&& fill) {
  capnp::MallocMessageBuilder message;
  fill(message.initRoot<schema::Frame>());
  auto words = capnp::messageToFlatArray(message);
  return aligned(reinterpret_cast<const char*>(words.begin()), 8 * words.size());
}

capnp::Data::Reader as_data(const std::string& s) {
  return {reinterpret_cast<const kj::byte*>(s.data()), s.size()};
}

template <class T>
std::string raw(std::initializer_list<T> values) {
  std::string out(sizeof(T) * values.size(), '\0');
  std::memcpy(&out[0], values.begin(), out.size());
  return out;
}

buffer batch_frame(const std::string& offsets, const std::string& payload,
                   const std::string& timestamps = {}) {
  return build_frame([&](schema::Frame::Builder frame) {
    frame.setChannel(3);
    auto batch = frame.initData();
    batch.setOffsets(as_data(offsets));
    if (!timestamps.empty()) batch.setTimestamps(as_data(timestamps));
    batch.setPayload(as_data(payload));
  });
}

// Wire pointers, as the Cap'n Proto encoding spec lays them out.
uint64_t struct_pointer(int32_t offset, uint16_t data_words, uint16_t pointers) {
  return (static_cast<uint32_t>(offset) << 2) | (uint64_t{data_words} << 32)
         | (uint64_t{pointers} << 48);
}
uint64_t far_pointer(uint32_t landing_word, uint32_t segment) {
  return 2 | (uint64_t{landing_word} << 3) | (uint64_t{segment} << 32);
}

// A sealed one-segment frame: table, root pointer, Frame (3 data words, 1
// pointer), then Batch (3 pointers) and its blobs. Checked, not assumed.
constexpr size_t root_word = 1, frame_data_word = 2, batch_pointer_word = 5, offsets_word = 7;

buffer sample_words() {
  auto frame = aligned(sample_frame());
  REQUIRE(frame[root_word] == struct_pointer(0, 3, 1));
  REQUIRE(frame[batch_pointer_word] == struct_pointer(0, 0, 3));
  return frame;
}


} // namespace

TEST_CASE("a sealed batch decodes to the same records and timestamps on its channel and sequence",
          "[unit][frame]") {
  batch_builder builder;
  for (const auto& r : timed_records)
    builder.add(r.timestamp, [&](std::string& p) { p += r.value; });
  auto bytes = builder.seal(UINT32_MAX, UINT64_MAX);
  CHECK(builder.empty()); // seal resets, so the next batch starts clean
  auto frame = aligned(bytes);
  auto view = decode(frame);
  REQUIRE(view);
  CHECK(view->channel() == UINT32_MAX);
  CHECK(view->sequence() == UINT64_MAX);
  require_records(*view, timed_records);
}

TEST_CASE("a batch without timestamps decodes with no_timestamp for every record",
          "[unit][frame]") {
  auto frame = aligned(seal(untimed_records, 1, 0));
  auto view = decode(frame);
  REQUIRE(view);
  require_records(*view, untimed_records);
  auto empty = aligned(seal({}, 1, 1));
  auto empty_view = decode(empty);
  REQUIRE(empty_view);
  CHECK(empty_view->type() == frame_view::kind::data);
  CHECK(empty_view->size() == 0);
}

TEST_CASE("an end-of-input frame decodes as end of input on its channel", "[unit][frame]") {
  auto frame = aligned(make_end_of_input_frame(5, 99));
  auto view = decode(frame);
  REQUIRE(view);
  CHECK(view->type() == frame_view::kind::end_of_input);
  CHECK(view->channel() == 5);
  CHECK(view->sequence() == 99);
  CHECK(view->size() == 0);
}

TEST_CASE("every truncation of a valid frame is rejected and the next valid frame decodes",
          "[unit][frame]") {
  const auto& full = sample_frame();
  for (size_t len = 0; len < full.size(); ++len) {
    INFO("truncated to " << len << " of " << full.size() << " bytes");
    auto truncated = aligned(full.data(), len);
    require_malformed(decode(truncated, len), "");
    require_sample_decodes();
  }
}

TEST_CASE("a length that is not a multiple of 8 is rejected", "[unit][frame]") {
  auto frame = sample_words();
  for (size_t cut : {1, 4, 7})
    require_malformed(decode(frame, 8 * frame.size() - cut), "multiple of 8");
  frame.push_back(0); // room to claim 3 bytes past the frame without reading out of bounds
  require_malformed(decode(frame, 8 * frame.size() - 5), "multiple of 8");
}

TEST_CASE("an absurd segment count is rejected without a large allocation", "[unit][frame]") {
  buffer frame(512, 0);
  largest_allocation = 0;
  ::operator delete(::operator new(5000)); // a direct call: the compiler may not elide it
  REQUIRE(largest_allocation >= 5000);      // the measurement sees requests at all
  largest_allocation = 0;
  frame[0] = 0xFFFFFFFF; // the count word holds segments - 1
  auto limited = decode(frame);
  // With the limit lifted, the table-length check alone must stop 2^32-1 segments.
  decode_limits unlimited;
  unlimited.max_segments = UINT32_MAX;
  frame[0] = 0xFFFFFFFE;
  auto unlimited_result = decode(frame, unlimited);
  size_t largest = largest_allocation; // before Catch allocates for its own reporting
  require_malformed(limited, "segment count 4294967296 exceeds limit");
  require_malformed(unlimited_result, "segment table of 4294967295 segments is longer");
  CHECK(largest < 4096);
  require_sample_decodes();
}

TEST_CASE("more segments than the limit are rejected", "[unit][frame]") {
  for (uint32_t segments : {65u, 513u}) {
    // Each segment one word long, so the table itself is consistent.
    size_t table_words = (segments + 2) / 2;
    buffer frame(table_words + segments, 0);
    auto* table = reinterpret_cast<uint32_t*>(frame.data());
    table[0] = segments - 1;
    for (uint32_t i = 0; i < segments; ++i) table[1 + i] = 1;
    require_malformed(decode(frame), "exceeds limit 64");
  }
  require_sample_decodes();
}

TEST_CASE("a segment table whose sizes do not add up to the frame length is rejected",
          "[unit][frame]") {
  SECTION("a segment claims one word more than the frame holds") {
    auto frame = sample_words();
    frame[0] += uint64_t{1} << 32;
    require_malformed(decode(frame), "segment sizes add up to");
  }
  SECTION("a segment claims 2^32-1 words") {
    auto frame = sample_words();
    frame[0] = uint64_t{0xFFFFFFFF} << 32;
    require_malformed(decode(frame), "segment sizes add up to");
  }
  SECTION("a word trails the frame") {
    auto frame = sample_words();
    frame.push_back(0);
    require_malformed(decode(frame), "segment sizes add up to");
  }
  require_sample_decodes();
}

TEST_CASE("a frame spread over several segments decodes", "[unit][frame]") {
  // Four-word segments force the batch and each blob into segments of their own.
  capnp::MallocMessageBuilder message(4, capnp::AllocationStrategy::FIXED_SIZE);
  auto root = message.initRoot<schema::Frame>();
  root.setChannel(2);
  auto batch = root.initData();
  batch.setOffsets(as_data(raw<uint32_t>({0, 3, 8})));
  batch.setPayload(as_data("abcdefgh"));
  auto words = capnp::messageToFlatArray(message);
  auto frame = aligned(reinterpret_cast<const char*>(words.begin()), 8 * words.size());
  REQUIRE((frame[0] & 0xFFFFFFFF) >= 2);
  auto view = decode(frame);
  REQUIRE(view);
  require_records(*view, {{"abc", no_timestamp}, {"defgh", no_timestamp}});
}

TEST_CASE("a frame over the size cap is rejected before it is parsed", "[unit][frame]") {
  auto frame = sample_words();
  decode_limits small;
  small.max_frame_bytes = 64;
  require_malformed(decode(frame, small), "exceeds the cap of 64");
  // Misaligned, odd-length garbage: only the cap check can have produced this.
  buffer garbage(128, ~uint64_t{0});
  require_malformed(decode_frame(bytes_of(garbage) + 1, 1001, small), "frame of 1001 bytes");
  small.max_frame_bytes = 8 * frame.size(); // the cap is inclusive
  REQUIRE(decode(frame, small));
}

TEST_CASE("seal throws length_error when the batch exceeds the cap it was given",
          "[unit][frame]") {
  batch_builder builder;
  builder.add(no_timestamp, [](std::string& p) { p.append(1000, 'x'); });
  CHECK_THROWS_AS(builder.seal(0, 0, 512), std::length_error);
}

TEST_CASE("a frame sealed under a cap never exceeds that cap", "[unit][frame]") {
  constexpr size_t cap = 256;
  decode_limits limits;
  limits.max_frame_bytes = cap;
  size_t sealed = 0;
  for (size_t len = 0; len <= cap; ++len) {
    INFO("record of " << len << " bytes");
    batch_builder builder;
    builder.add(int64_t(len), [&](std::string& p) { p.append(len, 'v'); });
    std::vector<char> bytes;
    try {
      bytes = builder.seal(0, len, cap);
    } catch (const std::length_error&) {
      continue;
    }
    REQUIRE(bytes.size() <= cap);
    auto frame = aligned(bytes);
    auto view = decode(frame, limits);
    REQUIRE(view);
    CHECK(view->value(0).size() == len);
    ++sealed;
  }
  REQUIRE(sealed > 0); // the cap was not so small that nothing could be tested
}

TEST_CASE("a batch that breaks its own invariants is rejected with a message naming the problem",
          "[unit][frame]") {
  auto offsets = [](std::initializer_list<uint32_t> v) { return raw<uint32_t>(v); };
  SECTION("offsets that decrease") {
    require_malformed(decode(batch_frame(offsets({0, 5, 3, 8}), "abcdefgh")),
                      "record offsets decrease at record 2");
  }
  SECTION("offsets that end before the payload does") {
    require_malformed(decode(batch_frame(offsets({0, 3, 5}), "abcdefgh")),
                      "record offsets end at 5 but payload has 8 bytes");
  }
  SECTION("offsets that run past the payload") {
    require_malformed(decode(batch_frame(offsets({0, 0xFFFFFFFF}), "abcdefgh")),
                      "record offsets end at 4294967295");
  }
  SECTION("a first offset that is not 0") {
    require_malformed(decode(batch_frame(offsets({1, 8}), "abcdefgh")),
                      "first record offset is 1");
  }
  SECTION("a timestamps blob of the wrong size") {
    require_malformed(decode(batch_frame(offsets({0, 4, 8}), "abcdefgh", raw<int64_t>({1}))),
                      "timestamps blob of 8 bytes does not match 2 records");
  }
  SECTION("an offsets blob that is not a multiple of 4 bytes") {
    require_malformed(decode(batch_frame(offsets({0, 8}).substr(0, 6), "abcdefgh")),
                      "offsets blob of 6 bytes");
  }
  SECTION("an empty offsets blob") {
    require_malformed(decode(batch_frame("", "")), "offsets blob of 0 bytes");
  }
  SECTION("a data frame with no batch") {
    auto frame = build_frame([](schema::Frame::Builder f) { f.setChannel(1); });
    require_malformed(decode(frame), "offsets blob of 0 bytes");
  }
  SECTION("an unknown frame kind") {
    auto frame = aligned(make_end_of_input_frame(1, 1));
    auto* discriminant = reinterpret_cast<uint16_t*>(&frame[frame_data_word]) + 2;
    REQUIRE(*discriminant == 1); // end_of_input: the layout is what this test patches
    *discriminant = 7; // past the last kind (idle = 3)
    require_malformed(decode(frame), "unknown frame kind 7");
  }
  require_sample_decodes();
}

// Cap'n Proto's own wording follows the prefix; the reason is checked so a
// rejection for some other cause cannot pass for this one.
void require_capnp_rejects(const buffer& frame, const std::string& reason) {
  expected<frame_view> result = error{};
  REQUIRE_NOTHROW(result = decode(frame));
  require_malformed(result, "Cap'n Proto rejected the frame");
  CHECK_THAT(result.error_value().message(), Contains(reason));
  require_sample_decodes();
}

TEST_CASE("a root pointer far outside the segment is returned as an error rather than thrown",
          "[unit][frame]") {
  auto frame = sample_words();
  frame[root_word] = struct_pointer((1 << 29) - 1, 2, 1);
  require_capnp_rejects(frame, "out-of-bounds struct pointer");
}

TEST_CASE("pointer abuse inside a frame is returned as an error rather than thrown",
          "[unit][frame]") {
  auto frame = sample_words();
  SECTION("a root pointer before the segment") {
    frame[root_word] = struct_pointer(-100, 2, 1);
    require_capnp_rejects(frame, "out-of-bounds struct pointer");
  }
  SECTION("a far pointer into a segment that does not exist") {
    frame[root_word] = far_pointer(0, 5);
    require_capnp_rejects(frame, "far pointer to unknown segment");
  }
  SECTION("a batch pointer aimed back at its own frame") {
    // Read as a Batch, the Frame's own pointer becomes the timestamps blob.
    frame[batch_pointer_word] = struct_pointer(-4, 3, 1);
    require_capnp_rejects(frame, "non-list pointer where data was expected");
  }
  SECTION("a list of zero-sized structs claiming 2^29-1 elements in place of a blob") {
    // Keep the blob's offset; make it an inline-composite list whose tag word
    // claims 2^29-1 structs of zero words each.
    uint64_t pointer = frame[offsets_word];
    int32_t target = static_cast<int32_t>(offsets_word + 1 + (static_cast<int32_t>(pointer) >> 2));
    frame[offsets_word] = (pointer & 0xFFFFFFFF) | (uint64_t{7} << 32);
    frame[target] = struct_pointer((1 << 29) - 1, 0, 0);
    require_capnp_rejects(frame, "list pointer of non-bytes where data was expected");
  }
}

TEST_CASE("a frame nested deeper than the nesting limit is rejected", "[unit][frame]") {
  auto frame = sample_words();
  decode_limits limits;
  limits.nesting_limit = 1; // Frame -> Batch needs 2
  require_malformed(decode(frame, limits), "too deeply-nested");
  limits.nesting_limit = 2;
  REQUIRE(decode(frame, limits));
}

TEST_CASE("every 2-bit flip in the first 64 bytes of a valid frame is rejected or read safely",
          "[unit][frame]") {
  const auto original = sample_words();
  constexpr size_t window_bits = 64 * 8;
  size_t rejected = 0, accepted = 0;
  for (size_t a = 0; a < window_bits; ++a) {
    for (size_t b = a + 1; b < window_bits; ++b) {
      auto frame = original;
      frame[a / 64] ^= uint64_t{1} << (a % 64);
      frame[b / 64] ^= uint64_t{1} << (b % 64);
      bool ok = false;
      auto problem = probe(frame, 8 * frame.size(), ok);
      if (!problem.empty()) FAIL("bits " << a << " and " << b << ": " << problem);
      ++(ok ? accepted : rejected);
    }
  }
  WARN("2-bit flips: " << rejected << " rejected, " << accepted << " accepted");
  CHECK(rejected + accepted == window_bits * (window_bits - 1) / 2);
  REQUIRE(rejected > 0);
  require_sample_decodes();
}

TEST_CASE("ten thousand random mutations of valid frames are rejected or read safely",
          "[unit][frame]") {
  const uint64_t seed = weir::test::test_seed();
  WARN("WEIR_TEST_SEED=" << seed);
  // rng() % n rather than std distributions: the same seed gives the same
  // mutations with every standard library.
  std::mt19937_64 rng(seed);
  auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
  static const uint32_t edges[] = {0, 1, 4, 8, 0xFF, 0xFFFF, 0x7FFFFFFC, 0x7FFFFFFF, 0x80000000,
                                   0xFFFFFFFF};
  const std::vector<std::vector<char>> bases = {sample_frame(), seal(untimed_records, 0, 3),
                                                make_end_of_input_frame(4, 4)};
  size_t rejected = 0, accepted = 0;
  for (int i = 0; i < 10000; ++i) {
    auto bytes = bases[i % bases.size()];
    for (size_t edits = 1 + pick(4); edits > 0 && !bytes.empty(); --edits) {
      switch (pick(4)) {
        case 0: bytes[pick(bytes.size())] ^= static_cast<char>(1 << pick(8)); break;
        case 1: bytes[pick(bytes.size())] = static_cast<char>(rng()); break;
        case 2: { // a length or offset field set to a boundary value
          uint32_t v = edges[pick(std::size(edges))];
          std::memcpy(&bytes[4 * pick(bytes.size() / 4)], &v, 4);
          break;
        }
        default: bytes.resize(8 * pick(bytes.size() / 8 + 2), static_cast<char>(rng()));
      }
    }
    bool ok = false;
    auto problem = probe(aligned(bytes), bytes.size(), ok);
    if (!problem.empty()) FAIL("mutation " << i << " (seed " << seed << "): " << problem);
    ++(ok ? accepted : rejected);
  }
  WARN("random mutations: " << rejected << " rejected, " << accepted << " accepted");
  REQUIRE(rejected > 0);
  require_sample_decodes();
}

TEST_CASE("a frame at an address that is not 8-byte aligned is rejected", "[unit][frame]") {
  const auto& valid = sample_frame();
  buffer storage(valid.size() / 8 + 1);
  for (size_t shift : {1, 2, 4, 7}) {
    auto* at = reinterpret_cast<char*>(storage.data()) + shift;
    std::memcpy(at, valid.data(), valid.size());
    require_malformed(decode_frame(at, valid.size()), "not 8-byte aligned");
  }
  require_sample_decodes();
}

TEST_CASE("the rejected-frames metric counts every rejection", "[unit][frame]") {
  alignas(8) char garbage[24] = {};
  std::memset(garbage, 0x7f, sizeof garbage);
  auto before = weir::detail::rejected_frames();
  for (int i = 0; i < 3; ++i) REQUIRE_FALSE(weir::detail::decode_frame(garbage, sizeof garbage));
  CHECK(weir::detail::rejected_frames() == before + 3);
}
