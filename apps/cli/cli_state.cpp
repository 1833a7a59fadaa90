// weir state query: an operator's keyed state in a checkpoint, without the job.

#include <cstdio>
#include <string>

#include "cli_args.hpp"
#include "cli_commands.hpp"
#include "weir/checkpoints.hpp"
#include "weir/control.hpp"

namespace weir::apps {

namespace {

const char* state_usage = R"(usage: weir state query --state-dir DIR --operator UID
                        [--checkpoint ID | --savepoint NAME[@VERSION]] [--job NAME] [--key K]

Prints an operator's keyed state as it was in a checkpoint or savepoint, one JSON object per
key ({"key_group":..,"key":..,"<field>":..}), then its broadcast state, if it
has one and no --key is given ({"broadcast":true,"key":..,"<name>":..}), read from the state directory
without the job's code: the checkpoint names each field's type. A field of a
type only the job's code reads (a custom codec's) is printed as its bytes in
hex. While the job runs (LevelDB lets one process in), the job itself answers
through its control endpoint, from any checkpoint it retains or savepoint
(at most 16 MiB of answer: ask for one --key of a large state).

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
  std::fprintf(stderr, "%s state: %s (try %s state --help)\n", program_c(), message.c_str(), program_c());
  return 2;
}

bool locked(const error& err) {
  return err.code() == errc::io && err.message().find("lock") != std::string::npos;
}

/// The same query asked of the job running on `state_dir`; calls `line` per
/// key and returns the checkpoint read.
expected<uint64_t> query_running_job(const std::string& state_dir, const state_query& q,
                                     const std::function<void(const std::string&)>& line) {
  for (const auto* part : {&q.savepoint, &q.operator_uid})
    if (part->find('\n') != std::string::npos) return error{errc::bad_argument, "a line break in an argument"};
  if (q.key && q.key->find('\n') != std::string::npos) return error{errc::bad_argument, "a line break in --key"};
  auto answer = control_job(state_dir, "query\n" + std::to_string(q.checkpoint) + "\n" + q.savepoint + "\n"
                                         + q.operator_uid + "\n" + (q.key ? "1\n" + *q.key : "0\n"), 60000);
  if (!answer) return answer.error_value();
  // "checkpoint <id>" and then a JSON line per key
  auto first = answer->find('\n');
  if (answer->rfind("checkpoint ", 0) != 0 || first == std::string::npos)
    return error{errc::protocol, "the running job's answer is not a state query's"};
  uint64_t read = std::strtoull(answer->c_str() + 11, nullptr, 10);
  for (size_t start = first + 1; start < answer->size();) {
    auto nl = answer->find('\n', start);
    if (nl == std::string::npos) nl = answer->size();
    line(answer->substr(start, nl - start));
    start = nl + 1;
  }
  return read;
}

} // namespace

int state_command(int argc, char** argv, int first) {
  auto args = parse_cli(argc, argv, first, {"state-dir", "operator", "checkpoint", "savepoint", "job", "key"});
  if (!args) return usage_error(args.error_value().message());
  if (args->help) {
    std::fputs(for_program(state_usage).c_str(), stdout);
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
  auto print = [&](const std::string& line) {
    std::printf("%s\n", line.c_str());
    ++lines;
  };
  auto read = query_state(args->get("state-dir"), q, print);
  bool live = !read && locked(read.error_value()); // a job runs there: it answers
  if (live) read = query_running_job(args->get("state-dir"), q, print);
  if (!read) {
    std::fprintf(stderr, "%s state: %s\n", program_c(), read.error_value().message().c_str());
    return read.error_value().code() == errc::bad_argument ? 2 : 1;
  }
  auto from = q.savepoint.empty() ? "" : "savepoint '" + q.savepoint + "', ";
  std::fprintf(stderr, "%llu key(s) of '%s' in %scheckpoint %llu%s\n", static_cast<unsigned long long>(lines),
               q.operator_uid.c_str(), from.c_str(), static_cast<unsigned long long>(*read),
               live ? " (answered by the running job)" : "");
  return 0;
}

} // namespace weir::apps
