#include "weir/detail/frame.hpp"

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <kj/exception.h>
#include <kj/io.h>

#include <atomic>
#include <stdexcept>

#include "weir/schema/frame.capnp.h"

namespace weir::detail {

namespace {

std::atomic<uint64_t> rejected{0};

error malformed(std::string what) {
  rejected.fetch_add(1, std::memory_order_relaxed);
  return error{errc::malformed_frame, std::move(what)};
}

// Checks the segment table by hand before Cap'n Proto allocates for it: an
// absurd segment count must not become a huge allocation.
error check_segment_table(const char* data, size_t size, const decode_limits& limits) {
  uint32_t first;
  std::memcpy(&first, data, 4);
  uint64_t segments = static_cast<uint64_t>(first) + 1;
  if (segments > limits.max_segments)
    return malformed("segment count " + std::to_string(segments) + " exceeds limit "
                     + std::to_string(limits.max_segments));
  uint64_t table_words = (segments + 2) / 2; // count word + sizes, padded to a word
  if (table_words * 8 > size)
    return malformed("segment table of " + std::to_string(segments)
                     + " segments is longer than the frame (" + std::to_string(size)
                     + " bytes)");
  uint64_t total_words = table_words;
  for (uint64_t i = 0; i < segments; ++i) {
    uint32_t words;
    std::memcpy(&words, data + 4 + 4 * i, 4);
    total_words += words;
  }
  if (total_words * 8 != size)
    return malformed("segment sizes add up to " + std::to_string(total_words * 8)
                     + " bytes but the frame has " + std::to_string(size));
  return {};
}

error check_batch(schema::Batch::Reader batch, frame_view::kind& kind, size_t& count,
                  const char*& ts, const char*& offsets, const char*& payload) {
  auto off = batch.getOffsets();
  auto tss = batch.getTimestamps();
  auto pay = batch.getPayload();
  if (off.size() < 4 || off.size() % 4 != 0)
    return malformed("offsets blob of " + std::to_string(off.size())
                     + " bytes is not a whole, non-empty list of UInt32");
  count = off.size() / 4 - 1;
  if (tss.size() != 0 && tss.size() != 8 * count)
    return malformed("timestamps blob of " + std::to_string(tss.size()) + " bytes does not match "
                     + std::to_string(count) + " records");
  offsets = reinterpret_cast<const char*>(off.begin());
  uint32_t prev;
  std::memcpy(&prev, offsets, 4);
  if (prev != 0) return malformed("first record offset is " + std::to_string(prev) + ", not 0");
  for (size_t i = 1; i <= count; ++i) {
    uint32_t cur;
    std::memcpy(&cur, offsets + 4 * i, 4);
    if (cur < prev) return malformed("record offsets decrease at record " + std::to_string(i));
    prev = cur;
  }
  if (prev != pay.size())
    return malformed("record offsets end at " + std::to_string(prev) + " but payload has "
                     + std::to_string(pay.size()) + " bytes");
  ts = tss.size() == 0 ? nullptr : reinterpret_cast<const char*>(tss.begin());
  payload = reinterpret_cast<const char*>(pay.begin());
  kind = frame_view::kind::data;
  return {};
}

} // namespace

uint64_t rejected_frames() noexcept {
  return rejected.load(std::memory_order_relaxed);
}

// Kept in one piece on purpose: this is the one boundary every channel's bytes
// cross, and its checks read best in the order they run.
expected<frame_view> decode_frame(const char* data, size_t size, const decode_limits& limits) {
  if (size > limits.max_frame_bytes)
    return malformed("frame of " + std::to_string(size) + " bytes exceeds the cap of "
                     + std::to_string(limits.max_frame_bytes));
  if (size < 8 || size % 8 != 0)
    return malformed("frame length " + std::to_string(size)
                     + " is not a positive multiple of 8 bytes");
  if (reinterpret_cast<uintptr_t>(data) % 8 != 0)
    return malformed("frame bytes are not 8-byte aligned");
  if (auto err = check_segment_table(data, size, limits)) return err;
  frame_view view;
  try {
    capnp::ReaderOptions options;
    // A valid frame is read once: traversal never needs more than its own size.
    options.traversalLimitInWords = size / 8 + 16;
    options.nestingLimit = limits.nesting_limit;
    capnp::FlatArrayMessageReader reader(
      kj::ArrayPtr<const capnp::word>(reinterpret_cast<const capnp::word*>(data), size / 8),
      options);
    auto frame = reader.getRoot<schema::Frame>();
    view.channel_ = frame.getChannel();
    view.sequence_ = frame.getSequence();
    switch (frame.which()) {
      case schema::Frame::DATA:
        if (auto err = check_batch(frame.getData(), view.kind_, view.count_, view.timestamps_,
                                   view.offsets_, view.payload_))
          return err;
        break;
      case schema::Frame::END_OF_INPUT:
        view.kind_ = frame_view::kind::end_of_input;
        break;
      case schema::Frame::WATERMARK:
        view.kind_ = frame_view::kind::watermark;
        view.watermark_ = frame.getWatermark();
        break;
      case schema::Frame::IDLE:
        view.kind_ = frame_view::kind::idle;
        break;
      case schema::Frame::BARRIER: {
        auto barrier = frame.getBarrier();
        view.kind_ = frame_view::kind::barrier;
        view.checkpoint_ = barrier.getCheckpoint();
        view.savepoint_ = barrier.getKind() == schema::Barrier::Kind::SAVEPOINT;
        break;
      }
      default:
        return malformed("unknown frame kind " + std::to_string(static_cast<int>(frame.which())));
    }
  } catch (const kj::Exception& ex) {
    return malformed(std::string("Cap'n Proto rejected the frame: ")
                     + ex.getDescription().cStr());
  }
  return view;
}

namespace {

// Cap'n Proto's stream framing (segment table, then the segments) appended to
// a reserved vector: one copy, and no zero-fill of bytes about to be overwritten.
std::vector<char> to_bytes(capnp::MessageBuilder& message) {
  auto segments = message.getSegmentsForOutput();
  std::vector<uint32_t> table(segments.size() + 1 + (segments.size() + 1) % 2, 0);
  table[0] = static_cast<uint32_t>(segments.size() - 1);
  size_t total = table.size() * 4;
  for (size_t i = 0; i < segments.size(); ++i) {
    table[i + 1] = static_cast<uint32_t>(segments[i].size());
    total += segments[i].size() * 8;
  }
  std::vector<char> bytes;
  bytes.reserve(total);
  auto put = [&](const void* p, size_t n) {
    bytes.insert(bytes.end(), static_cast<const char*>(p), static_cast<const char*>(p) + n);
  };
  put(table.data(), table.size() * 4);
  for (auto segment : segments) put(segment.begin(), segment.size() * 8);
  return bytes;
}

kj::ArrayPtr<const kj::byte> as_bytes(const void* data, size_t size) {
  return kj::arrayPtr(static_cast<const kj::byte*>(data), size);
}

} // namespace

std::vector<char> batch_builder::seal(uint32_t channel, uint64_t sequence,
                                      size_t max_frame_bytes) {
  size_t n = size();
  size_t ts_bytes = has_timestamps_ ? 8 * n : 0;
  size_t body = payload_.size() + 4 * offsets_.size() + ts_bytes;
  auto too_large = [&](size_t bytes) {
    return std::length_error("batch of " + std::to_string(n) + " records needs "
                             + std::to_string(bytes) + " bytes, over the frame cap of "
                             + std::to_string(max_frame_bytes));
  };
  if (body > max_frame_bytes) throw too_large(body); // fail before building a huge message
  // One first segment sized for the whole batch: no segment chain, one copy out.
  capnp::MallocMessageBuilder message(static_cast<unsigned>(body / 8 + 32),
                                      capnp::AllocationStrategy::FIXED_SIZE);
  auto frame = message.initRoot<schema::Frame>();
  frame.setChannel(channel);
  frame.setSequence(sequence);
  auto batch = frame.initData();
  batch.setOffsets(as_bytes(offsets_.data(), 4 * offsets_.size()));
  if (has_timestamps_) batch.setTimestamps(as_bytes(timestamps_.data(), ts_bytes));
  batch.setPayload(as_bytes(payload_.data(), payload_.size()));
  auto bytes = to_bytes(message);
  payload_.clear();
  offsets_.resize(1);
  timestamps_.clear();
  has_timestamps_ = false;
  if (bytes.size() > max_frame_bytes) throw too_large(bytes.size());
  return bytes;
}

namespace {

template <class Set>
std::vector<char> control_frame(uint32_t channel, uint64_t sequence, Set&& set) {
  capnp::MallocMessageBuilder message(16);
  auto frame = message.initRoot<schema::Frame>();
  frame.setChannel(channel);
  frame.setSequence(sequence);
  set(frame);
  return to_bytes(message);
}

} // namespace

std::vector<char> make_end_of_input_frame(uint32_t channel, uint64_t sequence) {
  return control_frame(channel, sequence, [](schema::Frame::Builder f) { f.setEndOfInput(); });
}

std::vector<char> make_watermark_frame(uint32_t channel, uint64_t sequence, int64_t watermark) {
  return control_frame(channel, sequence,
                       [watermark](schema::Frame::Builder f) { f.setWatermark(watermark); });
}

std::vector<char> make_idle_frame(uint32_t channel, uint64_t sequence) {
  return control_frame(channel, sequence, [](schema::Frame::Builder f) { f.setIdle(); });
}

std::vector<char> make_barrier_frame(uint32_t channel, uint64_t sequence, uint64_t checkpoint,
                                     bool savepoint) {
  return control_frame(channel, sequence, [&](schema::Frame::Builder f) {
    auto barrier = f.initBarrier();
    barrier.setCheckpoint(checkpoint);
    barrier.setKind(savepoint ? schema::Barrier::Kind::SAVEPOINT : schema::Barrier::Kind::CHECKPOINT);
  });
}

} // namespace weir::detail
