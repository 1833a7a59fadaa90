#include "weir/detail/state_json.hpp"

#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <vector>

namespace weir::detail {

namespace {

/// "name<a,b<c,d>>" -> name "name", args {"a", "b<c,d>"}.
struct parsed_type {
  std::string_view name;
  std::vector<std::string_view> args;
};

std::optional<parsed_type> parse_type(std::string_view type) {
  auto open = type.find('<');
  if (open == std::string_view::npos) return parsed_type{type, {}};
  if (type.back() != '>') return std::nullopt;
  parsed_type out{type.substr(0, open), {}};
  auto inner = type.substr(open + 1, type.size() - open - 2);
  int depth = 0;
  size_t start = 0;
  for (size_t i = 0; i < inner.size(); ++i) {
    if (inner[i] == '<') ++depth;
    else if (inner[i] == '>' && --depth < 0) return std::nullopt;
    else if (inner[i] == ',' && depth == 0) {
      out.args.push_back(inner.substr(start, i - start));
      start = i + 1;
    }
  }
  if (depth != 0) return std::nullopt;
  out.args.push_back(inner.substr(start));
  return out;
}

template <class T>
std::optional<std::string> number(byte_reader& in) {
  T v{};
  if (!in.get_raw(&v, sizeof v)) return std::nullopt;
  if constexpr (std::is_floating_point_v<T>) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.17g", static_cast<double>(v));
    return std::string(buf);
  } else {
    return std::to_string(v);
  }
}

std::optional<std::string> scalar(std::string_view name, byte_reader& in) {
  if (name == "int8") return number<int8_t>(in);
  if (name == "int16") return number<int16_t>(in);
  if (name == "int32") return number<int32_t>(in);
  if (name == "int64") return number<int64_t>(in);
  if (name == "uint8") return number<uint8_t>(in);
  if (name == "uint16") return number<uint16_t>(in);
  if (name == "uint32") return number<uint32_t>(in);
  if (name == "uint64") return number<uint64_t>(in);
  if (name == "float32") return number<float>(in);
  if (name == "float64") return number<double>(in);
  if (name == "bool") {
    bool b = false;
    if (!in.get_raw(&b, 1)) return std::nullopt;
    return std::string(b ? "true" : "false");
  }
  if (name == "string") {
    auto size = in.get_varint();
    if (!in.ok() || size > in.remaining()) return std::nullopt;
    return json_string(in.get_view(size));
  }
  return std::nullopt;
}

/// `count` values of the listed types (one type repeated when `types` has one).
std::optional<std::string> array(const std::vector<std::string_view>& types, uint64_t count, byte_reader& in) {
  std::string out = "[";
  for (uint64_t i = 0; i < count; ++i) {
    auto v = json_of(types.size() == 1 ? types[0] : types[i], in);
    if (!v) return std::nullopt;
    out += (i == 0 ? "" : ",") + *v;
  }
  return out + "]";
}

} // namespace

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

std::optional<std::string> json_of(std::string_view type, byte_reader& in) {
  auto t = parse_type(type);
  if (!t) return std::nullopt;
  if (t->args.empty()) return scalar(t->name, in);
  if ((t->name == "pair" && t->args.size() == 2) || t->name == "tuple") return array(t->args, t->args.size(), in);
  if (t->name == "list" && t->args.size() == 1) {
    auto n = in.get_varint();
    if (!in.ok() || n > in.remaining()) return std::nullopt; // each element takes a byte at least
    return array(t->args, n, in);
  }
  if (t->name == "value" && t->args.size() == 1) {
    auto present = in.get_varint();
    if (!in.ok() || present > 1) return std::nullopt;
    return present == 0 ? std::optional<std::string>("null") : json_of(t->args[0], in);
  }
  if (t->name == "map" && t->args.size() == 2) {
    auto n = in.get_varint();
    if (!in.ok() || n > in.remaining()) return std::nullopt;
    std::string out = "[";
    for (uint64_t i = 0; i < n; ++i) {
      auto entry = array(t->args, 2, in);
      if (!entry) return std::nullopt;
      out += (i == 0 ? "" : ",") + *entry;
    }
    return out + "]";
  }
  if (t->name == "variant") {
    auto index = in.get_varint();
    if (!in.ok() || index >= t->args.size()) return std::nullopt;
    auto v = json_of(t->args[index], in);
    if (!v) return std::nullopt;
    return "{\"index\":" + std::to_string(index) + ",\"value\":" + *v + "}";
  }
  return std::nullopt;
}

} // namespace weir::detail
