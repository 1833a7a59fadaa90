#include "nexmark/side_input.hpp"

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>

#include "weir/input_file.hpp"

namespace weir::nexmark {

namespace {

constexpr size_t max_line_bytes = 1u << 20;

/// Reads a line from `in` without its '\n', stopping past max_line_bytes.
bool next_line(std::FILE* in, std::string& line) {
  line.clear();
  int c;
  while (line.size() <= max_line_bytes && (c = std::fgetc(in)) != EOF && c != '\n') line += static_cast<char>(c);
  return line.size() > max_line_bytes || c != EOF || !line.empty();
}

error parse_line(const std::string& line, side_table& table) {
  if (line.size() > max_line_bytes) return {errc::bad_argument, "a line longer than 1 MiB"};
  auto comma = line.find(',');
  if (comma == std::string::npos) return {errc::bad_argument, "expected key,value"};
  int64_t key = -1;
  auto [end, ec] = std::from_chars(line.data(), line.data() + comma, key);
  if (comma == 0 || ec != std::errc() || end != line.data() + comma || key < 0)
    return {errc::bad_argument, "the key '" + line.substr(0, comma) + "' is not a decimal integer >= 0"};
  table[key].push_back(line.substr(comma + 1));
  return {};
}

} // namespace

expected<std::shared_ptr<const side_table>> read_side_input(const std::string& path) {
  auto in = open_input_file(path);
  if (!in) return error{errc::bad_argument, "side input: " + in.error_value().message()};
  std::FILE* file = in->release();
  auto table = std::make_shared<side_table>();
  std::string line;
  error failed;
  for (uint64_t number = 1; next_line(file, line); ++number) {
    if (line.empty()) continue;
    if (auto err = parse_line(line, *table)) {
      failed = error{err.code(), "side input " + path + ":" + std::to_string(number) + ": " + err.message()};
      break;
    }
  }
  if (!failed && std::ferror(file))
    failed = error{errc::io, "side input '" + path + "': " + std::strerror(errno)};
  std::fclose(file);
  if (failed) return failed;
  return std::shared_ptr<const side_table>(std::move(table));
}

std::shared_ptr<const side_table> synthetic_side_input(int64_t keys) {
  auto table = std::make_shared<side_table>();
  for (int64_t k = 0; k < keys; ++k) (*table)[k].push_back("value-" + std::to_string(k));
  return table;
}

} // namespace weir::nexmark
