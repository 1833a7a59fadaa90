#pragma once

// File handling shared by the file sinks (file_sink, partitioned_file_sink).

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include "output_dir_lock.hpp"

namespace weir::detail {

/// Throws std::runtime_error "<what> '<path>': <strerror(errno)>".
[[noreturn]] void fail_on(const std::string& what, const std::string& path);

/// Makes renames into `dir` durable (fsync of the directory).
void sync_directory(const std::string& dir);

/// Creates `dir` if missing and holds it for run `run_id` (see output_dir_lock).
/// Throws naming the directory when it cannot be made or is in use.
std::unique_ptr<output_dir_lock> hold_output_dir(const std::string& dir, uint64_t run_id);

/// Flushes, fsyncs and closes `file` (always closed); throws naming `path`.
void close_synced(std::FILE* file, const std::string& path);

} // namespace weir::detail
