#pragma once

// How the checkpoint store lays out and reads back its records; shared by
// checkpoint_store.cpp and savepoint_store.cpp. Private to actors/.

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <kj/exception.h>

#include <charconv>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "checkpoint_store.hpp"
#include "weir/version.hpp"

namespace weir::runtime::records {

constexpr uint32_t manifest_format_version = weir::checkpoint_format_version;

/// A checkpoint id as a key part: 20 digits, so keys sort by id.
inline std::string id_key(uint64_t id) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%020llu", static_cast<unsigned long long>(id));
  return buf;
}

/// A key group or subtask as a key part: 5 digits.
inline std::string num_key(uint32_t n) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%05u", n);
  return buf;
}

/// The checkpoint id a key starts with (20 digits), if it does: keys read
/// without checksum verification may be damaged.
inline std::optional<uint64_t> leading_id(std::string_view rest) {
  uint64_t id = 0;
  if (rest.size() < 20) return std::nullopt;
  auto [end, ec] = std::from_chars(rest.data(), rest.data() + 20, id);
  if (ec != std::errc{} || end != rest.data() + 20) return std::nullopt;
  return id;
}

inline std::string to_bytes(capnp::MessageBuilder& message) {
  auto words = capnp::messageToFlatArray(message);
  auto bytes = words.asBytes();
  return std::string(reinterpret_cast<const char*>(bytes.begin()), bytes.size());
}

/// The one place stored records are read back: aligned copy, limits, and a
/// Cap'n Proto exception turned into errc::corrupt_state naming `what`.
template <class Root, class Read>
error read_record(const std::string& bytes, const std::string& what, Read&& read) {
  if (bytes.empty() || bytes.size() % 8 != 0)
    return {errc::corrupt_state, what + ": " + std::to_string(bytes.size()) + " bytes is not a record"};
  auto words = kj::heapArray<capnp::word>(bytes.size() / 8);
  std::memcpy(words.begin(), bytes.data(), bytes.size());
  try {
    capnp::ReaderOptions options;
    options.traversalLimitInWords = bytes.size() / 8 + 64;
    capnp::FlatArrayMessageReader reader(words, options);
    return read(reader.getRoot<Root>());
  } catch (const kj::Exception& ex) {
    return {errc::corrupt_state, what + ": Cap'n Proto rejected it: " + ex.getDescription().cStr()};
  }
}

std::string encode_manifest(const checkpoint_manifest& m);
/// Reads a manifest `bytes`; `what` names it in errors.
expected<checkpoint_manifest> decode_manifest(const std::string& bytes, const std::string& what);

} // namespace weir::runtime::records
