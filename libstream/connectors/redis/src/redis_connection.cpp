#include "redis_connection.hpp"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <thread>

namespace weir::redis {

void reply_deleter::operator()(redisReply* r) const noexcept {
  freeReplyObject(r);
}

connection::connection(redis_server server, std::string who)
    : server_(std::move(server)), who_(std::move(who)) {}

connection::~connection() {
  if (ctx_) redisFree(ctx_);
}

bool connection::connect() {
  if (ctx_) return true;
  timeval tv{static_cast<time_t>(server_.timeout_ms / 1000),
             static_cast<suseconds_t>((server_.timeout_ms % 1000) * 1000)};
  ctx_ = redisConnectWithTimeout(server_.host.c_str(), server_.port, tv);
  if (!ctx_ || ctx_->err) {
    lost(ctx_ ? std::string("cannot connect: ") + ctx_->errstr : "cannot allocate a connection");
    return false;
  }
  redisSetTimeout(ctx_, tv);
  return true;
}

void connection::lost(const std::string& why) {
  last_error_ = why;
  if (ctx_) redisFree(ctx_);
  ctx_ = nullptr;
  auto now = clock::now();
  if (away_since_ == clock::time_point{}) away_since_ = now;
  next_attempt_ = now + backoff_;
  backoff_ = std::min(backoff_ * 2, std::chrono::milliseconds(5000));
}

void connection::give_up() {
  throw std::runtime_error(who_ + ": Redis at " + server_.address() + " unreachable for "
                           + std::to_string(server_.reconnect_timeout_ms) + " ms: " + last_error_);
}

reply connection::send(const std::vector<std::string>& argv) {
  std::vector<const char*> args;
  std::vector<size_t> lengths;
  for (const auto& a : argv) {
    args.push_back(a.data());
    lengths.push_back(a.size());
  }
  auto* raw = static_cast<redisReply*>(
      redisCommandArgv(ctx_, static_cast<int>(args.size()), args.data(), lengths.data()));
  if (!raw) {
    lost(std::string(argv.front())
         + " failed: " + (ctx_->errstr[0] ? ctx_->errstr : "connection lost"));
    return nullptr;
  }
  reply r(raw);
  if (r->type == REDIS_REPLY_ERROR)
    throw redis_error(who_ + ": Redis at " + server_.address() + " refused " + argv.front() + ": "
                      + std::string(r->str, r->len));
  away_since_ = {};
  backoff_ = std::chrono::milliseconds(100);
  return r;
}

reply connection::try_run(const std::vector<std::string>& argv) {
  auto now = clock::now();
  if (away_since_ != clock::time_point{}) {
    if (now - away_since_ > std::chrono::milliseconds(server_.reconnect_timeout_ms)) give_up();
    if (now < next_attempt_) return nullptr;
  }
  if (!connect()) return nullptr;
  return send(argv);
}

reply connection::run(const std::vector<std::string>& argv) {
  for (;;) {
    if (auto r = try_run(argv)) return r;
    // The subtask cannot go on without the server: waiting here is its
    // backpressure, bounded by reconnect_timeout_ms.
    std::this_thread::sleep_until(next_attempt_);
  }
}

} // namespace weir::redis
