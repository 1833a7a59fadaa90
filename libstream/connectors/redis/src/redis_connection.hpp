#pragma once

// One hiredis connection with the reconnect policy of redis_server: a
// command that meets a lost connection reconnects with backoff and runs
// again (commands sent through here must be safe to repeat), until
// reconnect_timeout_ms has passed without the server.

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "weir/redis.hpp"

struct redisContext;
struct redisReply;

namespace weir::redis {

struct reply_deleter {
  void operator()(redisReply* r) const noexcept;
};
using reply = std::unique_ptr<redisReply, reply_deleter>;

/// The server answered with an error (not a lost connection): not retried.
class redis_error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

class connection {
public:
  /// `who` names the user in errors ("redis source 'in[0/1]'"). Connects lazily.
  connection(redis_server server, std::string who);
  ~connection();
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  /// Runs `argv` (binary-safe), waiting for the server as described above.
  /// Throws redis_error for an error reply, std::runtime_error naming the
  /// server when it stayed away.
  reply run(const std::vector<std::string>& argv);

  /// Runs `argv` once, without waiting: nothing when the connection is down
  /// (it is retried at the next call, after the backoff). Throws redis_error
  /// for an error reply, std::runtime_error once the server has been away
  /// longer than reconnect_timeout_ms.
  reply try_run(const std::vector<std::string>& argv);

private:
  bool connect();
  reply send(const std::vector<std::string>& argv);
  void lost(const std::string& why);
  [[noreturn]] void give_up();

  redis_server server_;
  std::string who_;
  redisContext* ctx_ = nullptr;
  std::string last_error_;
  using clock = std::chrono::steady_clock;
  clock::time_point away_since_{}; // when the server was first missed; epoch: not away
  clock::time_point next_attempt_{};
  std::chrono::milliseconds backoff_{100};
};

} // namespace weir::redis
