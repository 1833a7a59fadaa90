#include "cli_args.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace weir::apps {

expected<uint64_t> cli_args::get_number(const std::string& name, uint64_t fallback, uint64_t min,
                                        uint64_t max) const {
  auto it = options.find(name);
  if (it == options.end()) return fallback;
  const auto& text = it->second;
  char* end = nullptr;
  unsigned long long v = std::strtoull(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || text[0] == '-' || v < min || v > max)
    return error{errc::bad_argument, "--" + name + " must be a number from " + std::to_string(min)
                                       + " to " + std::to_string(max) + ", got '" + text + "'"};
  return static_cast<uint64_t>(v);
}

expected<cli_args> parse_cli(int argc, char** argv, int first, const std::set<std::string>& valued,
                             const std::set<std::string>& flags) {
  cli_args out;
  for (int i = first; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      out.help = true;
      continue;
    }
    if (arg.rfind("--", 0) != 0) {
      out.positional.push_back(arg);
      continue;
    }
    std::string name = arg.substr(2);
    std::string value;
    bool inline_value = false;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      inline_value = true;
    }
    if (flags.count(name)) {
      if (inline_value) return error{errc::bad_argument, "option --" + name + " takes no value"};
      out.options[name] = "true";
    } else if (valued.count(name)) {
      if (!inline_value) {
        if (i + 1 >= argc) return error{errc::bad_argument, "option --" + name + " needs a value"};
        value = argv[++i];
      }
      out.options[name] = value;
    } else {
      return error{errc::bad_argument, "unknown option --" + name};
    }
  }
  return out;
}

error check_readable_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return {errc::io, "cannot read input file '" + path + "'"};
  if (std::filesystem::is_directory(path)) return {errc::io, "input '" + path + "' is a directory"};
  return {};
}

error clear_part_files(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::exists(dir, ec)) return {};
  if (!fs::is_directory(dir, ec)) return {errc::io, "output '" + dir + "' is not a directory"};
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    auto name = it->path().filename().string();
    if (name.rfind("part-", 0) == 0 || name.rfind(".part-", 0) == 0) fs::remove(it->path(), ec);
  }
  if (ec) return {errc::io, "cannot clear old part files in '" + dir + "': " + ec.message()};
  return {};
}

} // namespace weir::apps
