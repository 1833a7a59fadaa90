#include "jobs/connector_jobs.hpp"

#include <cstdlib>
#include <string>
#include <utility>

#include "jobs/job_args.hpp"
#include "jobs/wordcount.hpp"
#include "weir/job_registry.hpp"
#include "weir/kafka.hpp"
#include "weir/postgres.hpp"
#include "weir/redis.hpp"
#include "weir/stream.hpp"

namespace weir::apps {

namespace {

using word_count = std::pair<std::string, int64_t>;

/// lines -> split -> count: each word's running count at every occurrence.
stream<word_count> count_words(stream<std::string> lines) {
  return lines
      .flat_map([](const std::string& line, emitter<word_count>& out) {
        thread_local std::vector<std::string> words;
        split_words(line, words);
        for (auto& w : words)
          out.emit({std::move(w), 1});
      })
      .uid("split")
      .key_by([](const word_count& wc) { return wc.first; })
      .reduce([](const word_count& acc, const word_count& next) {
        return word_count{acc.first, acc.second + next.second};
      })
      .uid("count");
}

expected<redis_server> parse_redis(const std::string& where) {
  auto colon = where.rfind(':');
  char* end = nullptr;
  long port = colon == std::string::npos ? 0 : std::strtol(where.c_str() + colon + 1, &end, 10);
  if (colon == std::string::npos || colon == 0 || *end != '\0' || port < 1 || port > 65535)
    return error{errc::bad_argument, "--redis must be HOST:PORT, got '" + where + "'"};
  redis_server server;
  server.host = where.substr(0, colon);
  server.port = static_cast<uint16_t>(port);
  return server;
}

error build_redis(environment& env, const job_args& args) {
  auto p = job_parallelism(args);
  if (!p) return p.error_value();
  auto server = parse_redis(job_arg(args, "redis", "127.0.0.1:6379"));
  if (!server) return server.error_value();
  env.set_parallelism(*p);
  redis_stream_source_options in;
  in.server = *server;
  in.streams = {job_arg(args, "input", "weir:lines")};
  in.stop_at_end = job_arg(args, "follow", "0") != "1";
  redis_stream_sink_options out;
  out.server = *server;
  out.stream = job_arg(args, "output", "weir:counts");
  auto lines = env.add_source(redis_stream_source(in), "lines")
                   .uid("lines")
                   .map([](const redis_entry& e) { return e.get("line"); })
                   .uid("line");
  count_words(lines)
      .map([](const word_count& wc) {
        return redis_fields{{"word", wc.first}, {"count", std::to_string(wc.second)}};
      })
      .uid("format")
      .sink(redis_stream_sink(out))
      .uid("out");
  return {};
}

error build_kafka(environment& env, const job_args& args) {
  auto p = job_parallelism(args);
  if (!p) return p.error_value();
  env.set_parallelism(*p);
  kafka_cluster cluster;
  cluster.bootstrap_servers = job_arg(args, "bootstrap-servers", "127.0.0.1:9092");
  kafka_source_options in;
  in.cluster = cluster;
  in.topics = {job_arg(args, "input", "lines")};
  in.stop_at_end = job_arg(args, "follow", "0") != "1";
  kafka_sink_options out;
  out.cluster = cluster;
  out.topic = job_arg(args, "output", "word-counts");
  auto lines = env.add_source(kafka_source(in), "lines")
                   .uid("lines")
                   .map([](const kafka_record& r) { return r.value; })
                   .uid("line");
  count_words(lines)
      .map([](const word_count& wc) { return kafka_message{wc.first, std::to_string(wc.second)}; })
      .uid("format")
      .sink(kafka_sink(out))
      .uid("out");
  return {};
}

error build_postgres(environment& env, const job_args& args) {
  auto p = job_parallelism(args);
  if (!p) return p.error_value();
  auto input = job_arg(args, "input", "");
  if (input.empty()) return {errc::bad_argument, "postgres-wordcount needs --input FILE"};
  env.set_parallelism(*p);
  postgres_sink_options out;
  out.conninfo = job_arg(args, "conninfo", "host=127.0.0.1 port=5432 dbname=postgres user=weir");
  out.table = job_arg(args, "table", "word_counts");
  out.columns = {"word", "count"};
  out.upsert_keys = {"word"};
  count_words(env.read_text_file(input).uid("lines"))
      .map([](const word_count& wc) { return postgres_row{wc.first, std::to_string(wc.second)}; })
      .uid("format")
      .sink(postgres_sink(out))
      .uid("out");
  return {};
}

} // namespace

void register_connector_jobs(const std::string& sample_text) {
  const char* follow = "keep reading new lines (default: stop at the end the input had at start)";
  job_info redis;
  redis.summary = "count the words of the lines (field \"line\") of a Redis stream; adds entries "
                  "(word, count) to another stream, exactly once";
  redis.options = {{"redis", "127.0.0.1:6379", "the server, HOST:PORT"},
                   {"input", "weir:lines", "the stream read"},
                   {"output", "weir:counts", "the stream written"},
                   {"follow", "", follow, true}};
  register_job("redis-wordcount", build_redis, redis);
  job_info kafka;
  kafka.summary = "count the words of the lines (message values) of a Kafka topic; produces "
                  "messages (key word, value count) to another topic, exactly once";
  kafka.options = {{"bootstrap-servers", "127.0.0.1:9092", "the brokers, HOST:PORT[,...]"},
                   {"input", "lines", "the topic read"},
                   {"output", "word-counts", "the topic written"},
                   {"follow", "", follow, true}};
  register_job("kafka-wordcount", build_kafka, kafka);
  job_info postgres;
  postgres.summary = "count the words of a text file into a PostgreSQL table (word text PRIMARY "
                     "KEY, count bigint), upserting each running count";
  postgres.options = {{"input", sample_text, "the text to read", false, true},
                      {"conninfo", "host=127.0.0.1 port=5432 dbname=postgres user=weir",
                       "libpq connection string"},
                      {"table", "word_counts", "the table written (it must exist)"}};
  postgres.input_files = {"input"};
  register_job("postgres-wordcount", build_postgres, postgres);
}

} // namespace weir::apps
