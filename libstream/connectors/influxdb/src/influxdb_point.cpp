#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "weir/influxdb.hpp"

namespace weir {

namespace {

[[noreturn]] void refuse(const std::string& what) {
  throw std::invalid_argument("influxdb point: " + what);
}

void check_no_newline(const std::string& s, const std::string& what) {
  if (s.find_first_of("\n\r") != std::string::npos) refuse(what + " '" + s + "' holds a newline");
}

/// InfluxDB 1.x has no escape for a backslash in names and tag values: its
/// parser takes the byte after one as escaped, so `C:\` would swallow the
/// separator after it. Refused rather than sent misread.
void check_name(const std::string& s, const std::string& what) {
  check_no_newline(s, what);
  if (s.find('\\') != std::string::npos) refuse(what + " '" + s + "' holds a backslash");
}

/// Appends `s` with each of `special` (and backslash before them) escaped.
void append_escaped(std::string& out, const std::string& s, const char* special) {
  for (char c : s) {
    for (const char* p = special; *p != '\0'; ++p)
      if (c == *p) {
        out += '\\';
        break;
      }
    out += c;
  }
}

void append_key(std::string& out, const std::string& key, const std::string& what) {
  if (key.empty()) refuse("an empty " + what);
  check_name(key, what);
  append_escaped(out, key, ",= ");
}

void append_value(std::string& out, const std::string& key, const influxdb_point::field_value& v) {
  if (auto* i = std::get_if<int64_t>(&v)) {
    out += std::to_string(*i) + 'i';
  } else if (auto* d = std::get_if<double>(&v)) {
    if (!std::isfinite(*d)) refuse("field '" + key + "' is not a finite number");
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.17g", *d);
    out += buf;
  } else if (auto* b = std::get_if<bool>(&v)) {
    out += *b ? "true" : "false";
  } else {
    const auto& s = std::get<std::string>(v);
    check_no_newline(s, "field '" + key + "'");
    out += '"';
    append_escaped(out, s, "\"\\");
    out += '"';
  }
}

} // namespace

std::string influxdb_point::line() const {
  if (measurement.empty()) refuse("an empty measurement");
  if (fields.empty()) refuse("measurement '" + measurement + "' has no field");
  check_name(measurement, "measurement");
  if (measurement[0] == '#') refuse("measurement '" + measurement + "' starts with '#' (a comment line)");
  std::string out;
  append_escaped(out, measurement, ", ");
  for (const auto& [key, value] : tags) {
    if (value.empty()) continue;
    out += ',';
    append_key(out, key, "tag key");
    out += '=';
    check_name(value, "tag '" + key + "'");
    append_escaped(out, value, ",= ");
  }
  char sep = ' ';
  for (const auto& [key, value] : fields) {
    out += sep;
    sep = ',';
    append_key(out, key, "field key");
    out += '=';
    append_value(out, key, value);
  }
  out += ' ' + std::to_string(time_ms);
  return out;
}

} // namespace weir
