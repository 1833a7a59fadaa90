#include "control_actor.hpp"

#include <caf/all.hpp>

#include "messages.hpp"

namespace weir::runtime {

namespace {

// Compares every byte whatever the first difference, so the time taken
// tells a caller nothing about how much of a guess was right.
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
      if (command == "status") {
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
