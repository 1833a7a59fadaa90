#include "part_file_names.hpp"

namespace weir::detail {

namespace {

constexpr std::string_view in_progress = ".inprogress";
constexpr std::string_view late_mark = ".late";

std::optional<uint64_t> digits(std::string_view s) {
  if (s.empty() || s.size() > 18 || s.find_first_not_of("0123456789") != std::string_view::npos)
    return std::nullopt;
  return std::stoull(std::string(s));
}

} // namespace

std::string txn_suffix(uint64_t txn) {
  auto n = std::to_string(txn);
  return n.size() >= 6 ? n : std::string(6 - n.size(), '0') + n;
}

std::string visible_part_name(const std::string& uid, uint32_t subtask, uint64_t txn) {
  return "part-" + uid + "-" + std::to_string(subtask) + "." + txn_suffix(txn);
}

std::string hidden_part_name(const std::string& uid, uint32_t subtask, uint64_t txn, bool late) {
  return "." + visible_part_name(uid, subtask, txn) + std::string(late ? late_mark : "") + std::string(in_progress);
}

std::optional<part_file_name> parse_part_name(std::string_view name, const std::string& uid) {
  part_file_name out;
  if (name.size() > in_progress.size() + 1 && name.front() == '.'
      && name.substr(name.size() - in_progress.size()) == in_progress) {
    out.hidden = true;
    name = name.substr(1, name.size() - 1 - in_progress.size());
    if (name.size() > late_mark.size() && name.substr(name.size() - late_mark.size()) == late_mark) {
      out.late = true;
      name.remove_suffix(late_mark.size());
    }
  }
  std::string prefix = "part-" + uid + "-";
  if (name.substr(0, prefix.size()) != prefix) return std::nullopt;
  name.remove_prefix(prefix.size());
  auto dot = name.find('.');
  auto subtask = digits(name.substr(0, dot));
  if (!subtask || *subtask > UINT32_MAX) return std::nullopt;
  out.subtask = static_cast<uint32_t>(*subtask);
  if (dot != std::string_view::npos) {
    out.txn = digits(name.substr(dot + 1));
    if (!out.txn) return std::nullopt;
  }
  return out;
}

} // namespace weir::detail
