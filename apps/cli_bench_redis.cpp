// weir bench redis: records per second through the Redis Streams connector
// (a job reading one stream and writing another exactly once, checkpoints
// every second) against a plain hiredis loop doing the same reads and
// writes, in one run against one server.

#include <hiredis/hiredis.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "bench/connector_bench.hpp"
#include "cli_args.hpp"
#include "commands.hpp"
#include "weir/redis.hpp"
#include "weir/stream.hpp"

namespace weir::apps {

namespace {

const char* usage = R"(usage: weir bench redis --port P [options]

Against the Redis at 127.0.0.1:P (start one: redis-server --port P --save ''
--appendonly no), in one run, alternating: a plain hiredis loop that reads N
entries of a stream (XREAD, 1024 at a time) and writes each as a new entry of
another (XADD, pipelined 256 at a time), and a Weir job doing the same through
redis_stream_source and the exactly-once redis_stream_sink at parallelism 1,
checkpoints every second. Prints a markdown table of median records/s. Uses
and deletes keys weir-bench-*.

options:
  --port P      the Redis port (required)
  --records N   entries per run (default 200000)
  --runs K      runs of each (default 3)
  -h, --help    show this help
)";

using clock = std::chrono::steady_clock;

int usage_error(const std::string& message) {
  std::fprintf(stderr, "weir bench redis: %s (try weir bench redis --help)\n", message.c_str());
  return 2;
}

struct client {
  redisContext* c;
  explicit client(uint16_t port) : c(redisConnect("127.0.0.1", port)) {}
  ~client() {
    if (c) redisFree(c);
  }
  bool ok() const { return c && !c->err; }
  /// Sends every command of `commands` at once, then reads every reply.
  void pipeline(const std::vector<std::vector<std::string>>& commands) {
    for (const auto& argv : commands) {
      std::vector<const char*> a;
      std::vector<size_t> l;
      for (const auto& s : argv) {
        a.push_back(s.data());
        l.push_back(s.size());
      }
      redisAppendCommandArgv(c, static_cast<int>(a.size()), a.data(), l.data());
    }
    for (size_t i = 0; i < commands.size(); ++i) {
      void* r = nullptr;
      if (redisGetReply(c, &r) != REDIS_OK) throw std::runtime_error("redis: lost the connection");
      freeReplyObject(r);
    }
  }
};

void fill(client& redis, const std::string& stream, uint64_t n) {
  redis.pipeline({{"DEL", stream, "weir-bench-out"}});
  std::vector<std::vector<std::string>> batch;
  for (uint64_t i = 0; i < n; ++i) {
    batch.push_back(
        {"XADD", stream, "*", "n", std::to_string(i), "payload", "some bytes of a record"});
    if (batch.size() == 1024 || i + 1 == n) {
      redis.pipeline(batch);
      batch.clear();
    }
  }
}

/// The plain loop: read everything, write each entry to the output stream.
double plain_run(client& redis, uint64_t n) {
  auto start = clock::now();
  std::string last = "0-0";
  uint64_t copied = 0;
  std::vector<std::vector<std::string>> writes;
  while (copied < n) {
    auto* r = static_cast<redisReply*>(
        redisCommand(redis.c, "XREAD COUNT 1024 STREAMS weir-bench-in %s", last.c_str()));
    if (!r || r->type != REDIS_REPLY_ARRAY) throw std::runtime_error("redis: XREAD failed");
    const auto* entries = r->element[0]->element[1];
    for (size_t e = 0; e < entries->elements; ++e) {
      const auto* entry = entries->element[e];
      last = entry->element[0]->str;
      std::vector<std::string> argv{"XADD", "weir-bench-out", "*"};
      for (size_t f = 0; f < entry->element[1]->elements; ++f)
        argv.emplace_back(entry->element[1]->element[f]->str, entry->element[1]->element[f]->len);
      writes.push_back(std::move(argv));
      if (writes.size() == 256) {
        redis.pipeline(writes);
        writes.clear();
      }
      ++copied;
    }
    freeReplyObject(r);
  }
  redis.pipeline(writes);
  return static_cast<double>(n) / std::chrono::duration<double>(clock::now() - start).count();
}

double weir_run(uint16_t port, uint64_t n, const std::string& state_dir) {
  std::filesystem::remove_all(state_dir);
  redis_stream_source_options in;
  in.server.port = port;
  in.streams = {"weir-bench-in"};
  in.stop_at_end = true;
  redis_stream_sink_options out;
  out.server.port = port;
  out.stream = "weir-bench-out";
  environment env;
  env.set_parallelism(1);
  env.options().checkpoints.interval_ms = 1000;
  env.options().checkpoints.state_dir = state_dir;
  env.add_source(redis_stream_source(in), "in")
      .uid("in")
      .map([](const redis_entry& e) { return e.fields; })
      .uid("fields")
      .sink(redis_stream_sink(out))
      .uid("out");
  auto start = clock::now();
  auto result = env.execute("bench-redis");
  if (!result.ok()) throw std::runtime_error(result.failure.to_string());
  if (result.source_records != n)
    throw std::runtime_error("the job read a different number of entries");
  return static_cast<double>(n) / std::chrono::duration<double>(clock::now() - start).count();
}

} // namespace

int bench_redis_command(int argc, char** argv, int first) {
  auto args = parse_cli(argc, argv, first, {"port", "records", "runs"});
  if (!args) return usage_error(args.error_value().message());
  if (args->help) {
    std::fputs(usage, stdout);
    return 0;
  }
  if (!args->has("port")) return usage_error("weir bench redis needs --port (a running Redis)");
  auto port = args->get_number("port", 0, 1, 65535);
  auto n = args->get_number("records", 200000, 1, 100000000);
  auto runs = args->get_number("runs", 3, 1, 100);
  for (auto* e : {&port, &n, &runs})
    if (!*e) return usage_error(e->error_value().message());
  client redis(static_cast<uint16_t>(*port));
  if (!redis.ok()) {
    std::fprintf(stderr, "weir bench redis: cannot connect to Redis at 127.0.0.1:%llu: %s\n",
                 static_cast<unsigned long long>(*port), redis.c ? redis.c->errstr : "no memory");
    return 1;
  }
  bench::connector_table table{
      "records/s, plain hiredis loop", "records/s, Weir job (exactly once, checkpoints 1 s)",
      "Redis stream -> stream, " + std::to_string(*n) + " entries"};
  return bench::run_connector_bench("redis", table, [&](auto& plain, auto& job, const std::string& state) {
    for (uint64_t r = 0; r < *runs; ++r) {
      fill(redis, "weir-bench-in", *n);
      plain.push_back(plain_run(redis, *n));
      fill(redis, "weir-bench-in", *n);
      job.push_back(weir_run(static_cast<uint16_t>(*port), *n, state));
    }
    redis.pipeline({{"DEL", "weir-bench-in", "weir-bench-out"}});
  });
}

} // namespace weir::apps
