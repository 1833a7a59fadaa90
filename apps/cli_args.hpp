#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "weir/error.hpp"

namespace weir::apps {

/// Parsed "--name value" / "--name=value" options and positional words.
struct cli_args {
  std::vector<std::string> positional;
  std::map<std::string, std::string> options; ///< without the leading dashes
  bool help = false;

  bool has(const std::string& name) const { return options.count(name) > 0; }
  std::string get(const std::string& name, const std::string& fallback = "") const {
    auto it = options.find(name);
    return it == options.end() ? fallback : it->second;
  }
  /// The option as an unsigned number in [min, max], or an error naming it.
  expected<uint64_t> get_number(const std::string& name, uint64_t fallback, uint64_t min,
                                uint64_t max) const;
};

/// Parses argv[first..argc). `valued` names the options that take a value,
/// `flags` those that do not; anything else is an error naming it.
expected<cli_args> parse_cli(int argc, char** argv, int first, const std::set<std::string>& valued,
                             const std::set<std::string>& flags = {});

/// An error naming `path` unless it is a regular file this process can read
/// (weir::open_input_file's checks: no FIFO, device or /proc file).
error check_readable_file(const std::string& path);

/// An error unless `dir` is a directory or does not exist yet.
error check_output_dir(const std::string& dir);

} // namespace weir::apps
