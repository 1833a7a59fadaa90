#include "support/redis_server.hpp"

#include <hiredis/hiredis.h>

#include <chrono>
#include <thread>

#include "support/servers.hpp"

namespace weir::test {

namespace {

struct context_deleter {
  void operator()(redisContext* c) const { redisFree(c); }
};
struct reply_deleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using context = std::unique_ptr<redisContext, context_deleter>;
using reply = std::unique_ptr<redisReply, reply_deleter>;

reply run(uint16_t port, const std::vector<std::string>& argv) {
  timeval tv{2, 0};
  context c(redisConnectWithTimeout("127.0.0.1", port, tv));
  if (!c || c->err) return nullptr;
  std::vector<const char*> args;
  std::vector<size_t> lengths;
  for (const auto& a : argv) {
    args.push_back(a.data());
    lengths.push_back(a.size());
  }
  return reply(static_cast<redisReply*>(
      redisCommandArgv(c.get(), static_cast<int>(args.size()), args.data(), lengths.data())));
}

std::string text(const redisReply* r) {
  if (r->type == REDIS_REPLY_INTEGER) return std::to_string(r->integer);
  if (r->type == REDIS_REPLY_NIL) return "(nil)";
  if (r->str) return std::string(r->str, r->len);
  return {};
}

} // namespace

redis_server::redis_server() : port_(free_port()) {
  start();
}

void redis_server::start() {
  process_ = std::make_unique<child_process>(
      std::vector<std::string>{"/usr/bin/redis-server", "--port", std::to_string(port_), "--bind",
                               "127.0.0.1", "--save", "", "--appendonly", "yes", "--appendfsync",
                               "always", "--dir", dir_.path()},
      dir_.file("redis.log"));
}

bool redis_server::ready(int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  do {
    if (auto r = command({"PING"}); r && *r == "PONG") return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50)); // readiness is only known by asking
  } while (std::chrono::steady_clock::now() < deadline);
  return false;
}

void redis_server::stop() {
  process_.reset();
}

void redis_server::restart() {
  process_.reset(); // SIGKILL, reaped
  start();
}

std::optional<std::string> redis_server::command(const std::vector<std::string>& argv) {
  auto r = run(port_, argv);
  if (!r) return std::nullopt;
  return text(r.get());
}

bool redis_server::pipeline(const std::vector<std::vector<std::string>>& commands) {
  timeval tv{10, 0};
  context c(redisConnectWithTimeout("127.0.0.1", port_, tv));
  if (!c || c->err) return false;
  for (const auto& argv : commands) {
    std::vector<const char*> args;
    std::vector<size_t> lengths;
    for (const auto& a : argv) {
      args.push_back(a.data());
      lengths.push_back(a.size());
    }
    redisAppendCommandArgv(c.get(), static_cast<int>(args.size()), args.data(), lengths.data());
  }
  bool ok = true;
  for (size_t i = 0; i < commands.size(); ++i) {
    void* raw = nullptr;
    if (redisGetReply(c.get(), &raw) != REDIS_OK || !raw) return false;
    reply r(static_cast<redisReply*>(raw));
    ok = ok && r->type != REDIS_REPLY_ERROR;
  }
  return ok;
}

std::vector<redis_entry> redis_server::entries(const std::string& stream) {
  std::vector<redis_entry> out;
  auto r = run(port_, {"XRANGE", stream, "-", "+"});
  if (!r || r->type != REDIS_REPLY_ARRAY) return out;
  for (size_t i = 0; i < r->elements; ++i) {
    const auto* e = r->element[i];
    redis_entry entry;
    entry.stream = stream;
    entry.id = text(e->element[0]);
    for (size_t f = 0; f + 1 < e->element[1]->elements; f += 2)
      entry.fields.emplace_back(text(e->element[1]->element[f]),
                                text(e->element[1]->element[f + 1]));
    out.push_back(std::move(entry));
  }
  return out;
}

std::vector<std::string> redis_server::keys(const std::string& pattern) {
  std::vector<std::string> out;
  auto r = run(port_, {"KEYS", pattern});
  if (!r || r->type != REDIS_REPLY_ARRAY) return out;
  for (size_t i = 0; i < r->elements; ++i)
    out.push_back(text(r->element[i]));
  return out;
}

weir::redis_server redis_server::where() const {
  weir::redis_server s;
  s.port = port_;
  return s;
}

} // namespace weir::test
