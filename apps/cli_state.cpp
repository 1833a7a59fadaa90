// weir state query: an operator's keyed state in a checkpoint, without the job.

#include <cstdio>
#include <string>

#include "cli_args.hpp"
#include "commands.hpp"
#include "weir/checkpoints.hpp"

namespace weir::apps {

namespace {

const char* state_usage = R"(usage: weir state query --state-dir DIR --operator UID
                        [--checkpoint ID | --savepoint NAME[@VERSION]] [--job NAME] [--key K]

Prints an operator's keyed state as it was in a checkpoint or savepoint, one JSON object per
key ({"key_group":..,"key":..,"<field>":..}), read from the state directory
without the job's code: the checkpoint names each field's type. A field of a
type only the job's code reads (a custom codec's) is printed as its bytes in
hex. The job must not be running (LevelDB lets one process in).

options:
  --state-dir DIR    the state directory (e.g. weir-state/wordcount)
  --operator UID     the operator (its uid); an unknown one lists those there
  --checkpoint ID    a retained checkpoint (default: the latest)
  --savepoint S      a savepoint: NAME (its latest version) or NAME@VERSION
  --job NAME         the job, when the state directory holds several
  --key K            only this key: its JSON (7, "river", ["a",1]) or a string key's text
  -h, --help         show this help
)";

int usage_error(const std::string& message) {
  std::fprintf(stderr, "weir state: %s (try weir state --help)\n", message.c_str());
  return 2;
}

} // namespace

int state_command(int argc, char** argv, int first) {
  auto args = parse_cli(argc, argv, first, {"state-dir", "operator", "checkpoint", "savepoint", "job", "key"});
  if (!args) return usage_error(args.error_value().message());
  if (args->help) {
    std::fputs(state_usage, stdout);
    return 0;
  }
  if (args->positional.size() != 1 || args->positional[0] != "query") return usage_error("say query");
  if (!args->has("state-dir")) return usage_error("--state-dir is required");
  if (!args->has("operator")) return usage_error("--operator is required");
  auto checkpoint = args->get_number("checkpoint", 0, 1, UINT64_MAX);
  if (!checkpoint) return usage_error(checkpoint.error_value().message());
  if (args->has("checkpoint") && args->has("savepoint")) return usage_error("say --checkpoint or --savepoint, not both");
  state_query q;
  q.job = args->get("job", "");
  q.checkpoint = *checkpoint;
  q.savepoint = args->get("savepoint");
  q.operator_uid = args->get("operator");
  if (args->has("key")) q.key = args->get("key");
  uint64_t lines = 0;
  auto read = query_state(args->get("state-dir"), q, [&](const std::string& line) {
    std::printf("%s\n", line.c_str());
    ++lines;
  });
  if (!read) {
    std::fprintf(stderr, "weir state: %s\n", read.error_value().message().c_str());
    return read.error_value().code() == errc::bad_argument ? 2 : 1;
  }
  auto from = q.savepoint.empty() ? "" : "savepoint '" + q.savepoint + "', ";
  std::fprintf(stderr, "%llu key(s) of '%s' in %scheckpoint %llu\n", static_cast<unsigned long long>(lines),
               q.operator_uid.c_str(), from.c_str(), static_cast<unsigned long long>(*read));
  return 0;
}

} // namespace weir::apps
