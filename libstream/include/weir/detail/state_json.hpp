#pragma once

// Stored state as JSON, by the type names a snapshot carries (type_name_of):
// how `weir state query` reads state without the job's code.

#include <optional>
#include <string>
#include <string_view>

#include "weir/codec.hpp"

namespace weir::detail {

/// Decodes one value of type `type` (a name type_name_of gives: "int64",
/// "string", "pair<A,B>", "list<T>", "value<V>", "map<K,V>", ...) from `in`
/// as JSON. Integers and floats as numbers, bool, strings escaped; pairs,
/// tuples and lists as arrays; value<V> as V or null; map<K,V> as an array of
/// [key, value]; variant as {"index": i, "value": v}. Nothing for a type it
/// cannot read without the job's code (a custom codec's) or bytes that do
/// not decode as the type says.
std::optional<std::string> json_of(std::string_view type, byte_reader& in);

/// `s` as a JSON string: quoted, `"` and `\` escaped, control bytes as
/// \u00XX; other bytes as they are (text is expected to be UTF-8).
std::string json_string(std::string_view s);

} // namespace weir::detail
