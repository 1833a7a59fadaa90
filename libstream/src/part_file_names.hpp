#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace weir::detail {

/// A part file of a file sink: visible "part-<uid>-<subtask>.<txn>", hidden
/// in-progress ".part-<uid>-<subtask>.<txn>.inprogress" (".late.inprogress"
/// for a partitioned sink's file of late records), or (written by older
/// builds) "part-<uid>-<subtask>".
struct part_file_name {
  uint32_t subtask = 0;
  std::optional<uint64_t> txn;
  bool hidden = false;
  bool late = false;
};

/// The zero-padded transaction number in file names (sorts in order).
std::string txn_suffix(uint64_t txn);

std::string visible_part_name(const std::string& uid, uint32_t subtask, uint64_t txn);
std::string hidden_part_name(const std::string& uid, uint32_t subtask, uint64_t txn, bool late = false);

/// What `name` is for the sink `uid`, or nothing when it is not one of that
/// sink's files (a uid "out" never claims the files of a uid "out-2").
std::optional<part_file_name> parse_part_name(std::string_view name, const std::string& uid);

} // namespace weir::detail
