// weir savepoint create|list|inspect|delete: named, versioned savepoints of
// the jobs in a state directory.

#include <cstdio>
#include <ctime>
#include <string>

#include "cli_args.hpp"
#include "cli_commands.hpp"
#include "weir/checkpoints.hpp"
#include "weir/control.hpp"

namespace weir::apps {

namespace {

const char* savepoint_usage = R"(usage: weir savepoint create --state-dir DIR [--name NAME] [--timeout-ms N]
       weir savepoint list --state-dir DIR
       weir savepoint inspect --state-dir DIR NAME[@VERSION] [--job NAME]
       weir savepoint delete --state-dir DIR NAME[@VERSION] [--job NAME]

A savepoint is a checkpoint taken on request and kept under a name until it is
deleted: each create under a name adds a version (1, 2, ...). Run a job from
one with --from-savepoint NAME[@VERSION] to upgrade it, or to reprocess from
that point on.

commands:
  create    asks the job running on DIR (through its control endpoint) for a
            savepoint and waits until it is stored; prints its name and version
  list      every savepoint version in DIR (the job must not be running)
  inspect   a savepoint's manifest as JSON: job, fingerprint, Weir version,
            creation time, size, and per operator its uid, parallelism, state
            names and field types, key counts and source positions
  delete    removes the version named, or every version of NAME

options:
  --state-dir DIR    the state directory (e.g. weir-state/wordcount)
  --name NAME        the savepoint's name: letters, digits, '.', '_', '-'
                     (default: savepoint)
  --timeout-ms N     how long create waits for the savepoint (default 600000)
  --job NAME         the job, when the state directory holds several
  -h, --help         show this help
)";

int usage_error(const std::string& message) {
  std::fprintf(stderr, "%s savepoint: %s (try %s savepoint --help)\n", program_c(), message.c_str(), program_c());
  return 2;
}

int failed(const error& err) {
  std::fprintf(stderr, "%s savepoint: %s\n", program_c(), err.message().c_str());
  return err.code() == errc::bad_argument ? 2 : 1;
}

std::string local_time(int64_t ms) {
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  localtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

int create(const cli_args& args) {
  auto timeout = args.get_number("timeout-ms", 600000, 1000, 86400000);
  if (!timeout) return usage_error(timeout.error_value().message());
  auto answer = control_job(args.get("state-dir"), "savepoint " + args.get("name", "savepoint"), *timeout);
  if (!answer) return failed(answer.error_value());
  std::printf("%s\n", answer->c_str());
  return 0;
}

int list(const cli_args& args) {
  auto all = list_savepoints(args.get("state-dir"));
  if (!all) return failed(all.error_value());
  if (all->empty()) {
    std::printf("no savepoints in %s\n", args.get("state-dir").c_str());
    return 0;
  }
  std::printf("%-20s %-20s %7s %10s %12s  %s\n", "job", "savepoint", "version", "checkpoint", "bytes", "created");
  for (const auto& s : *all)
    std::printf("%-20s %-20s %7u %10llu %12llu  %s\n", s.job.c_str(), s.name.c_str(), s.version,
                static_cast<unsigned long long>(s.checkpoint), static_cast<unsigned long long>(s.bytes),
                local_time(s.created_ms).c_str());
  return 0;
}

} // namespace

int savepoint_command(int argc, char** argv, int first) {
  auto args = parse_cli(argc, argv, first, {"state-dir", "name", "timeout-ms", "job"});
  if (!args) return usage_error(args.error_value().message());
  if (args->help) {
    std::fputs(for_program(savepoint_usage).c_str(), stdout);
    return 0;
  }
  if (args->positional.empty()) return usage_error("say create, list, inspect or delete");
  const auto& what = args->positional[0];
  if (!args->has("state-dir")) return usage_error("--state-dir is required");
  if (what == "create" || what == "list") {
    if (args->positional.size() != 1) return usage_error(what + " takes no savepoint name (use --name)");
    return what == "create" ? create(*args) : list(*args);
  }
  if (what != "inspect" && what != "delete") return usage_error("unknown savepoint command '" + what + "'");
  if (args->positional.size() != 2) return usage_error(what + " needs one savepoint: NAME or NAME@VERSION");
  const auto& which = args->positional[1];
  if (what == "inspect") {
    auto json = inspect_savepoint(args->get("state-dir"), args->get("job"), which);
    if (!json) return failed(json.error_value());
    std::fputs(json->c_str(), stdout);
    return 0;
  }
  auto deleted = delete_savepoint(args->get("state-dir"), args->get("job"), which);
  if (!deleted) return failed(deleted.error_value());
  std::printf("deleted %u version(s) of savepoint '%s'\n", *deleted, which.c_str());
  return 0;
}

} // namespace weir::apps
