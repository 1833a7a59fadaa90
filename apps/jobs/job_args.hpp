#pragma once

// Reading a sample job's arguments (weir::job_args): what the jobs in this
// folder share, so each states its options, not how to parse them.

#include <cstdint>
#include <cstdlib>
#include <string>

#include "weir/error.hpp"
#include "weir/job_registry.hpp"

namespace weir::apps {

/// Option `name`'s value, or `fallback` when it is missing or empty.
inline std::string job_arg(const job_args& args, const std::string& name,
                           const std::string& fallback = "") {
  auto it = args.find(name);
  return it == args.end() || it->second.empty() ? fallback : it->second;
}

/// Option `name` as a whole number from `min` to `max` (`fallback` when it is
/// missing or empty), or an error naming it and what it got.
inline expected<uint64_t> job_number(const job_args& args, const std::string& name,
                                     uint64_t fallback, uint64_t min, uint64_t max) {
  auto text = job_arg(args, name, std::to_string(fallback));
  char* end = nullptr;
  unsigned long long n = std::strtoull(text.c_str(), &end, 10);
  if (text[0] == '-' || *end != '\0' || n < min || n > max)
    return error{errc::bad_argument, "--" + name + " must be a number from " + std::to_string(min)
                                         + " to " + std::to_string(max) + ", got '" + text + "'"};
  return static_cast<uint64_t>(n);
}

/// --parallelism, 1 to 128 (default 1).
inline expected<uint32_t> job_parallelism(const job_args& args) {
  auto p = job_number(args, "parallelism", 1, 1, 128);
  if (!p) return p.error_value();
  return static_cast<uint32_t>(*p);
}

} // namespace weir::apps
