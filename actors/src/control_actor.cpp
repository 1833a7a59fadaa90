#include "control_actor.hpp"

#include <caf/all.hpp>

#include <optional>
#include <vector>

#include "messages.hpp"

namespace weir::runtime {

namespace {

// Compares every byte whatever the first difference, so the time taken
// tells a caller nothing about how much of a guess was right.
/// "query\n<checkpoint>\n<savepoint>\n<uid>\n<0|1: has key>\n<key>" split
/// into its six lines, or nothing.
std::optional<std::vector<std::string>> query_lines(const std::string& command) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (;;) {
    auto nl = command.find('\n', start);
    parts.push_back(command.substr(start, nl == std::string::npos ? std::string::npos : nl - start));
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  if (parts.size() != 6 || parts[0] != "query" || (parts[4] != "0" && parts[4] != "1")) return std::nullopt;
  for (char c : parts[1])
    if (c < '0' || c > '9') return std::nullopt;
  if (parts[1].empty() || parts[1].size() > 19) return std::nullopt;
  return parts;
}

bool same_token(const std::string& given, const std::string& token) {
  unsigned char diff = given.size() == token.size() ? 0 : 1;
  for (size_t i = 0; i < token.size(); ++i)
    diff |= static_cast<unsigned char>(token[i] ^ (i < given.size() ? given[i] : 0));
  return diff == 0;
}

caf::behavior control_behavior(caf::event_based_actor* self, caf::actor supervisor, std::string token) {
  self->monitor(supervisor);
  self->set_down_handler([self](caf::down_msg&) { self->quit(); });
  return {
    [self, supervisor, token](control_atom, const std::string& given,
                              const std::string& command) -> caf::result<std::string> {
      if (!same_token(given, token))
        return std::string("refused: the token does not match this job's (a client reads it from the state directory)");
      auto answer = self->make_response_promise<std::string>();
      auto pass_on = [answer](auto& request) mutable {
        request.then([answer](std::string& reply) mutable { answer.deliver(std::move(reply)); },
                     [answer](caf::error&) mutable {
                       answer.deliver(std::string("refused: the job did not answer (it may be ending)"));
                     });
      };
      auto verb = command.substr(0, command.find(' '));
      auto name = command.size() > verb.size() ? command.substr(verb.size() + 1) : std::string();
      if (command.rfind("query\n", 0) == 0) {
        auto q = query_lines(command);
        if (!q) {
          answer.deliver(std::string("refused: a malformed state query"));
          return answer;
        }
        auto r = self->request(supervisor, caf::infinite, query_atom::value, std::stoull((*q)[1]), (*q)[2], (*q)[3],
                               (*q)[5], (*q)[4] == "1");
        pass_on(r);
      } else if (command == "status") {
        auto r = self->request(supervisor, std::chrono::seconds(10), status_atom::value);
        pass_on(r);
      } else if (command == "cancel") {
        auto r = self->request(supervisor, std::chrono::seconds(10), cancel_atom::value);
        pass_on(r);
      } else if ((verb == "savepoint" || verb == "stop") && !name.empty()) {
        // Answered when the savepoint is taken or fails, however long that takes.
        auto r = self->request(supervisor, caf::infinite, savepoint_atom::value, name, verb == "stop");
        pass_on(r);
      } else {
        answer.deliver("refused: unknown command '" + command + "' (status, cancel, savepoint NAME, stop NAME)");
      }
      return answer;
    },
  };
}

} // namespace

caf::actor spawn_control_actor(caf::actor_system& sys, caf::actor supervisor, std::string token) {
  return sys.spawn(control_behavior, std::move(supervisor), std::move(token));
}

} // namespace weir::runtime
