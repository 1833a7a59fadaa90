#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include <condition_variable>
#include <fstream>
#include <mutex>
#include <optional>
#include <thread>
#include <string>

#include "bounded_middleman.hpp"
#include "control_endpoint.hpp"
#include "messages.hpp"
#include "weir/control.hpp"

namespace weir {

namespace {

expected<std::string> first_line(const std::string& path, const char* what) {
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line) || line.empty())
    return error{errc::unreachable, "no job is running on this state directory (no readable " + std::string(what)
                                      + " '" + path + "')"};
  return line;
}

/// Asks the control actor at `port`.
expected<std::string> ask(uint16_t port, const std::string& token, const std::string& command,
                          const std::string& state_dir, uint64_t answer_ms) {
  caf::actor_system_config cfg;
  runtime::configure_scheduler(cfg, 2, 100);
  // Heartbeats on: a job with nodes drops a connection silent for long, and
  // a savepoint may take long to answer.
  nodes::load_bounded_middleman(cfg);
  caf::actor_system sys{cfg};
  auto where = "127.0.0.1:" + std::to_string(port);
  // Past control_job's own deadline: the caller has given up by then.
  auto job = nodes::remote_actor(sys, "127.0.0.1", port, std::chrono::milliseconds(answer_ms) + std::chrono::seconds(6));
  if (!job)
    return error{errc::unreachable, "no job answers at " + where + " (none runs on '" + state_dir
                                      + "', or its control files are left from one that was killed): "
                                      + sys.render(job.error())};
  caf::scoped_actor self{sys};
  expected<std::string> out = error{errc::unreachable, "the job at " + where + " did not answer within "
                                                       + std::to_string(answer_ms / 1000) + " s"};
  self->request(*job, std::chrono::milliseconds(answer_ms), runtime::control_atom::value, token, command)
    .receive(
      [&](std::string& answer) {
        if (answer.rfind("refused:", 0) == 0)
          out = error{errc::bad_argument, answer};
        else if (answer.rfind("failed:", 0) == 0)
          out = error{errc::operator_failed, answer};
        else
          out = std::move(answer);
      },
      [&](caf::error& err) { out = error{errc::unreachable, "the job at " + where + ": " + sys.render(err)}; });
  return out;
}

} // namespace

expected<std::string> control_job(const std::string& state_dir, const std::string& command, uint64_t answer_ms) {
  auto port_text = first_line(nodes::control_port_file(state_dir), "control file");
  if (!port_text) return port_text.error_value();
  auto token = first_line(nodes::control_token_file(state_dir), "token file");
  if (!token) return error{errc::io, token.error_value().message() + ": it is readable by the job's owner only"};
  char* end = nullptr;
  auto port = std::strtoul(port_text->c_str(), &end, 10);
  if (end == port_text->c_str() || *end != '\0' || port == 0 || port > 65535)
    return error{errc::io, "'" + nodes::control_port_file(state_dir) + "' holds no port"};
  // The request runs on a thread of its own: a port that something else took
  // over (a server that accepts and never speaks) would block CAF's
  // handshake for good. 5 s after the answer was due the caller gets an
  // error and the thread is left to the process's exit.
  struct outcome {
    std::mutex mutex;
    std::condition_variable done;
    std::optional<expected<std::string>> answer;
  };
  auto result = std::make_shared<outcome>();
  std::thread([result, port, token = *token, command, state_dir, answer_ms] {
    auto answer = ask(static_cast<uint16_t>(port), token, command, state_dir, answer_ms);
    std::lock_guard<std::mutex> guard(result->mutex);
    result->answer = std::move(answer);
    result->done.notify_one();
  }).detach();
  std::unique_lock<std::mutex> lock(result->mutex);
  auto limit = std::chrono::milliseconds(answer_ms) + std::chrono::seconds(5);
  if (!result->done.wait_for(lock, limit, [&] { return result->answer.has_value(); }))
    return error{errc::unreachable, "nothing answered as a Weir job at 127.0.0.1:" + std::to_string(port)
                                      + " within " + std::to_string(limit.count() / 1000)
                                      + " s (another program may hold the port '"
                                      + nodes::control_port_file(state_dir) + "' names)"};
  return std::move(*result->answer);
}

} // namespace weir
