#pragma once

// A `weir node` daemon for tests, in its own process on a free loopback port.
// Main thread only (it uses Catch2 macros).

#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace weir::test {

struct node_process {
  temp_dir dir;
  std::unique_ptr<child_process> process;
  std::string address;
  std::string port;

  explicit node_process(std::vector<std::string> extra = {}) {
    std::vector<std::string> argv{WEIR_CLI, "node", "--port-file", dir.file("port")};
    argv.insert(argv.end(), extra.begin(), extra.end());
    process = std::make_unique<child_process>(argv, dir.file("log"));
    port = wait_for_file_line(dir.file("port"), 20000);
    REQUIRE_FALSE(port.empty());
    address = "127.0.0.1:" + port;
  }

  /// What the node wrote to stdout and stderr so far.
  std::string log() const { return read_file(dir.file("log")); }
};

} // namespace weir::test
