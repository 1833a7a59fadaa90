#pragma once

// Runtime SPI for capnp_record: the records of one frame made readable in
// place as one Cap'n Proto segment. Users include weir/capnp_record.hpp.

#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include <capnp/any.h>
#include <capnp/message.h>

#include "weir/codec.hpp"
#include "weir/detail/frame.hpp"

namespace weir::detail {

/// A record's bytes on a channel: varint word count W, one byte P (0-7), P
/// zero bytes so what follows starts on a word when the payload does, then
/// W words: a struct pointer (the message root) and what it points to.
/// Returns those words, or an empty view after marking `in` failed.
std::string_view capnp_record_words(byte_reader& in);

/// Writes `words` (a root pointer and its content) as capnp_record_words reads them.
void put_capnp_record_words(const capnp::word* words, size_t count, byte_writer& out);

/// An owned copy of `words` (capnp::word is copied with memcpy only).
inline kj::Array<capnp::word> copy_words(kj::ArrayPtr<const capnp::word> words) {
  auto out = kj::heapArray<capnp::word>(words.size());
  if (words.size() != 0)
    std::memcpy(static_cast<void*>(out.begin()), words.begin(), words.size() * sizeof(capnp::word));
  return out;
}

/// The records of a frame laid out as one segment: a list of struct pointers
/// (one per record) followed by the records' words, so one message reader
/// serves the whole batch and each record is read where it lies, with Cap'n
/// Proto's bounds checks. One copy of the payload per batch, however often
/// the frame's reading pauses and resumes; no decode and no allocation per
/// record. Not thread-safe.
class capnp_batch {
public:
  /// Lays out every record of `frame`, unless it is the frame laid out last
  /// (a reading that resumed); throws record_error for a record whose bytes
  /// are malformed, before any record of the frame is read.
  void lay_out(const frame_view& frame);
  /// Record i of the frame as a pointer to read it as a struct.
  capnp::AnyPointer::Reader at(size_t i) const { return list_[static_cast<unsigned>(i)]; }
  /// Record i's words (its root pointer first), as they came.
  kj::ArrayPtr<const capnp::word> words(size_t i) const {
    return {words_.get() + spans_[i].first, spans_[i].second};
  }

private:
  // Which frame is laid out: a channel's sequence numbers never repeat, and
  // the payload's address tells a restarted reader's frames apart.
  struct frame_id {
    uint32_t channel = 0;
    uint64_t sequence = 0;
    const char* payload = nullptr;
    bool operator==(const frame_id& o) const noexcept {
      return channel == o.channel && sequence == o.sequence && payload == o.payload;
    }
  };
  std::optional<frame_id> laid_out_;
  std::unique_ptr<capnp::word[]> words_; // not zeroed: every word is written
  size_t capacity_ = 0;
  std::vector<std::string_view> records_;
  std::vector<std::pair<size_t, size_t>> spans_; // first word, word count
  kj::ArrayPtr<const capnp::word> segment_[1];
  std::optional<capnp::SegmentArrayMessageReader> message_;
  capnp::List<capnp::AnyPointer>::Reader list_;
};

} // namespace weir::detail
