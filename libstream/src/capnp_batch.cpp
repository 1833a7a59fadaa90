#include "weir/detail/capnp_batch.hpp"

#include <algorithm>
#include <string>

#include "weir/detail/graph.hpp"

namespace weir::detail {

namespace {

constexpr uint64_t word_bytes = sizeof(capnp::word);

uint64_t load(const capnp::word* w) {
  uint64_t v;
  std::memcpy(&v, w, word_bytes);
  return v;
}

void store(capnp::word* w, uint64_t v) {
  std::memcpy(static_cast<void*>(w), &v, word_bytes);
}

// Wire encoding (Cap'n Proto's encoding spec, little-endian words): a struct
// pointer has kind 0 in bits 0-1 and a signed word offset, from the end of
// the pointer, in bits 2-31; a list pointer kind 1, offset, element size in
// bits 32-34 (6: pointers) and element count in bits 35-63.
constexpr uint64_t pointer_list(uint64_t count) {
  return 1 | (uint64_t{6} << 32) | (count << 35);
}

[[noreturn]] void malformed(const frame_view& frame, size_t i, const std::string& what) {
  throw record_error("record " + std::to_string(i) + " of frame " + std::to_string(frame.sequence())
                     + " on channel " + std::to_string(frame.channel()) + " is not a Cap'n Proto record: " + what);
}

} // namespace

std::string_view capnp_record_words(byte_reader& in) {
  auto count = in.get_varint();
  uint8_t pad = 0;
  in.get_raw(&pad, 1);
  if (!in.ok() || pad >= word_bytes || count == 0 || count > in.remaining() / word_bytes) {
    in.fail();
    return {};
  }
  auto padding = in.get_view(pad);
  if (std::any_of(padding.begin(), padding.end(), [](char c) { return c != 0; })) {
    in.fail();
    return {};
  }
  return in.get_view(count * word_bytes);
}

void put_capnp_record_words(const capnp::word* words, size_t count, byte_writer& out) {
  out.put_varint(count);
  // The words start on a word boundary of the output: in place for a reader
  // whose payload starts on one.
  char head[word_bytes] = {};
  head[0] = static_cast<char>((word_bytes - (out.position() + 1) % word_bytes) % word_bytes);
  out.put_raw(head, 1 + static_cast<size_t>(head[0]));
  out.put_raw(words, count * word_bytes);
}

void capnp_batch::lay_out(const frame_view& frame) {
  size_t n = frame.size();
  frame_id id{frame.channel(), frame.sequence(), n > 0 ? frame.value(0).data() : nullptr};
  if (laid_out_ == id) return;
  laid_out_.reset(); // until this frame is laid out whole
  records_.clear();
  spans_.clear();
  size_t total = 1 + n;
  for (size_t i = 0; i < n; ++i) {
    byte_reader in(frame.value(i));
    auto words = capnp_record_words(in);
    if (!in.ok() || !in.at_end()) malformed(frame, i, "its length, padding or words do not add up");
    records_.push_back(words);
    total += words.size() / word_bytes;
  }
  if (total >= (uint64_t{1} << 29)) malformed(frame, 0, "the batch is too large for one segment");
  if (total > capacity_) {
    capacity_ = std::max(total, 2 * capacity_);
    words_.reset(new capnp::word[capacity_]);
  }
  store(&words_[0], pointer_list(n));
  size_t at = 1 + n;
  for (size_t k = 0; k < n; ++k) {
    auto size = records_[k].size() / word_bytes;
    std::memcpy(static_cast<void*>(&words_[at]), records_[k].data(), records_[k].size());
    // The record's root pointer, moved to the list: same struct, offset
    // counted from the list element instead of from the record's first word.
    uint64_t root = load(&words_[at]);
    uint64_t element = 0;
    if (root != 0) {
      if ((root & 3) != 0) malformed(frame, k, "its root is not a struct pointer");
      auto offset = static_cast<int64_t>(static_cast<int32_t>(static_cast<uint32_t>(root)) >> 2);
      auto moved = static_cast<int64_t>(at + 1) + offset - static_cast<int64_t>(k + 2);
      if (moved < -(int64_t{1} << 29) || moved >= (int64_t{1} << 29))
        malformed(frame, k, "its root points outside the batch");
      element = (root & 0xffffffff00000000) | (static_cast<uint64_t>(moved) << 2 & 0xfffffffc);
    }
    store(&words_[1 + k], element);
    spans_.emplace_back(at, size);
    at += size;
  }
  segment_[0] = {words_.get(), total};
  capnp::ReaderOptions options;
  // Cap'n Proto counts every word read against this: room for each record
  // to be read many times, still bounded for a hostile one.
  options.traversalLimitInWords = std::max<uint64_t>(options.traversalLimitInWords, 64 * total);
  message_.reset();
  message_.emplace(kj::arrayPtr(segment_, 1), options);
  list_ = message_->getRoot<capnp::AnyPointer>().getAs<capnp::AnyList>().as<capnp::List<capnp::AnyPointer>>();
  laid_out_ = id;
}

} // namespace weir::detail
