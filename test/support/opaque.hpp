#pragma once

// A record type whose codec gives no type name: its stored bytes are opaque
// to readers without the job's code (what `weir state query` then prints).

#include <cstdint>

#include "weir/codec.hpp"

namespace weir::test {

struct opaque {
  int64_t x = 0;
};

} // namespace weir::test

template <>
struct weir::codec<weir::test::opaque> {
  static void encode(const weir::test::opaque& o, byte_writer& out) { codec<int64_t>::encode(o.x, out); }
  static weir::test::opaque decode(byte_reader& in) { return {codec<int64_t>::decode(in)}; }
};
