#pragma once

// The web dashboard's static files (nodes/ui), built into the binary by
// cmake/embed_files.cmake.

#include <string>
#include <vector>

namespace weir::nodes {

struct ui_file {
  std::string path; ///< "/index.html"
  std::string content_type;
  std::string body;
};

/// Every file of the dashboard; the same vector for the process's lifetime.
const std::vector<ui_file>& ui_files();

} // namespace weir::nodes
