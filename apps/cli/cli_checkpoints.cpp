// weir checkpoints list|verify --state-dir DIR

#include <cstdio>
#include <ctime>

#include "cli_args.hpp"
#include "cli_commands.hpp"
#include "weir/checkpoints.hpp"

namespace weir::apps {

namespace {

const char* checkpoints_usage = R"(usage: weir checkpoints list|verify --state-dir DIR

Reads the checkpoints a job keeps in its state directory (a LevelDB), without
running the job. The job must not be running (LevelDB lets one process in).

commands:
  list     each job's run (finished or not) and its checkpoints: id, when,
           how long, the longest alignment, size, and status (completed and
           retained, completed and since deleted, or abandoned and why)
  verify   reads every blob of every retained checkpoint back and checks it
           against LevelDB's checksums and the checkpoint's manifest; names
           what cannot be read; exits 1 if anything cannot

options:
  --state-dir DIR   the state directory (e.g. weir-state/wordcount)
  -h, --help        show this help
)";

int usage_error(const std::string& message) {
  std::fprintf(stderr, "%s checkpoints: %s (try %s checkpoints --help)\n", program_c(), message.c_str(), program_c());
  return 2;
}

std::string when(int64_t ms) {
  if (ms <= 0) return "-";
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", std::gmtime(&t));
  return buf;
}

std::string size(uint64_t bytes) {
  char buf[32];
  if (bytes >= (1u << 20))
    std::snprintf(buf, sizeof buf, "%.1f MiB", bytes / 1048576.0);
  else if (bytes >= 1024)
    std::snprintf(buf, sizeof buf, "%.1f KiB", bytes / 1024.0);
  else
    std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(bytes));
  return buf;
}

int list(const std::string& dir) {
  auto found = list_checkpoints(dir);
  if (!found) {
    std::fprintf(stderr, "%s checkpoints: %s\n", program_c(), found.error_value().message().c_str());
    return 1;
  }
  for (const auto& r : found->first)
    std::printf("job %s: run started %s UTC, %s\n", r.job.c_str(), when(r.started_ms).c_str(),
                r.finished ? ("finished " + when(r.ended_ms) + " UTC").c_str() : "not finished (resumable)");
  std::printf("%-24s %8s  %-19s  %9s  %11s  %10s  %s\n", "job", "id", "started (UTC)", "duration",
              "alignment", "size", "status");
  for (const auto& c : found->second) {
    std::string status = c.completed ? (c.retained ? "completed" : "completed, deleted") : "abandoned: " + c.reason;
    if (c.final) status += " (final)";
    std::printf("%-24s %8llu  %-19s  %7llu ms  %8.1f ms  %10s  %s\n", c.job.c_str(),
                static_cast<unsigned long long>(c.id), when(c.started_ms).c_str(),
                static_cast<unsigned long long>(c.duration_ms), c.alignment_us / 1000.0,
                c.completed ? size(c.bytes).c_str() : "-", status.c_str());
  }
  return 0;
}

int verify(const std::string& dir) {
  auto checks = verify_checkpoints(dir);
  if (!checks) {
    std::fprintf(stderr, "%s checkpoints: %s\n", program_c(), checks.error_value().message().c_str());
    return 1;
  }
  int bad = 0;
  for (const auto& c : *checks) {
    if (c.problem) {
      ++bad;
      std::printf("job %s checkpoint %llu: UNREADABLE: %s\n", c.job.c_str(), static_cast<unsigned long long>(c.id),
                  c.problem.message().c_str());
    } else {
      std::printf("job %s checkpoint %llu: ok (%llu blobs, %s)\n", c.job.c_str(),
                  static_cast<unsigned long long>(c.id), static_cast<unsigned long long>(c.blobs),
                  size(c.bytes).c_str());
    }
  }
  if (checks->empty()) std::printf("no retained checkpoints in %s\n", dir.c_str());
  return bad > 0 ? 1 : 0;
}

} // namespace

int checkpoints_command(int argc, char** argv, int first) {
  auto args = parse_cli(argc, argv, first, {"state-dir"});
  if (!args) return usage_error(args.error_value().message());
  if (args->help) {
    std::fputs(for_program(checkpoints_usage).c_str(), stdout);
    return 0;
  }
  if (args->positional.size() != 1) return usage_error("say list or verify");
  if (!args->has("state-dir")) return usage_error("--state-dir is required");
  const auto& what = args->positional[0];
  if (what == "list") return list(args->get("state-dir"));
  if (what == "verify") return verify(args->get("state-dir"));
  return usage_error("unknown checkpoints command '" + what + "'");
}

} // namespace weir::apps
