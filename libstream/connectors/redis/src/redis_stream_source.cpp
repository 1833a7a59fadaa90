// The Redis Streams source: XREAD from the last id read, per stream.

#include <hiredis/hiredis.h>

#include <algorithm>
#include <map>
#include <optional>
#include <stdexcept>

#include "redis_connection.hpp"
#include "weir/redis.hpp"

namespace weir {

namespace {

using positions = std::vector<std::pair<std::string, std::string>>; // (stream, last id read)

/// "1700000000000-0" -> 1700000000000; nothing when not an entry id.
std::optional<int64_t> id_millis(const std::string& id) {
  auto dash = id.find('-');
  if (dash == 0 || dash == std::string::npos || dash + 1 == id.size()) return std::nullopt;
  for (size_t i = 0; i < id.size(); ++i)
    if (i != dash && (id[i] < '0' || id[i] > '9')) return std::nullopt;
  try {
    return static_cast<int64_t>(std::stoull(id.substr(0, dash)));
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::string text_of(const redisReply* r) {
  return r && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS)
             ? std::string(r->str, r->len)
             : std::string();
}

class stream_source final : public source_function<redis_entry> {
public:
  explicit stream_source(redis_stream_source_options o) : options_(std::move(o)) {}

  void open(const subtask_info& info) override {
    for (size_t i = 0; i < options_.streams.size(); ++i)
      if (i % info.parallelism == info.index && !restored_.count(options_.streams[i]))
        restored_[options_.streams[i]] = options_.after_id;
    for (const auto& [stream, id] : restored_)
      mine_.emplace_back(stream, id);
    conn_ =
        std::make_unique<redis::connection>(options_.server, "redis source '" + info.name() + "'");
  }

  source_status poll(emitter<redis_entry>& out, size_t max_records) override {
    if (mine_.empty()) return source_status::exhausted;
    std::vector<std::string> argv{"XREAD", "COUNT",
                                  std::to_string(std::max<size_t>(max_records / mine_.size(), 1)),
                                  "STREAMS"};
    for (const auto& p : mine_)
      argv.push_back(p.first);
    for (const auto& p : mine_)
      argv.push_back(p.second);
    auto r = conn_->try_run(argv);
    if (!r) return source_status::idle; // the server is away: try again after the backoff
    if (r->type == REDIS_REPLY_NIL || r->elements == 0)
      return options_.stop_at_end ? source_status::exhausted : source_status::idle;
    for (size_t s = 0; s < r->elements; ++s)
      read_stream(r->element[s], out);
    return source_status::more;
  }

  bool has_position() const override { return true; }
  void write_position(byte_writer& out) const override { codec<positions>::encode(mine_, out); }
  void read_position(byte_reader& in) override {
    for (auto& [stream, id] : codec<positions>::decode(in))
      restored_[stream] = id;
  }
  bool read_rescaled_positions(const subtask_info&, const std::vector<std::string>& old) override {
    // Positions are per stream: whichever subtask reads a stream now takes its id.
    for (const auto& bytes : old) {
      if (bytes.empty()) continue;
      byte_reader in(bytes);
      for (auto& [stream, id] : codec<positions>::decode(in))
        restored_[stream] = id;
    }
    return true;
  }

private:
  // A reply element is [stream, [[id, [field, value, ...]], ...]].
  void read_stream(const redisReply* s, emitter<redis_entry>& out) {
    if (s->type != REDIS_REPLY_ARRAY || s->elements != 2)
      throw std::runtime_error("redis source: XREAD answered oddly");
    auto stream = text_of(s->element[0]);
    auto* pos = find(stream);
    const auto* entries = s->element[1];
    for (size_t e = 0; e < entries->elements; ++e) {
      const auto* entry = entries->element[e];
      redis_entry record;
      record.stream = stream;
      record.id = text_of(entry->element[0]);
      const auto* fields = entry->element[1];
      for (size_t f = 0; f + 1 < fields->elements; f += 2)
        record.fields.emplace_back(text_of(fields->element[f]), text_of(fields->element[f + 1]));
      if (auto ms = id_millis(record.id)) out.set_timestamp(*ms);
      out.emit(record);
      if (pos) *pos = record.id;
    }
  }

  std::string* find(const std::string& stream) {
    for (auto& p : mine_)
      if (p.first == stream) return &p.second;
    return nullptr;
  }

  redis_stream_source_options options_;
  std::map<std::string, std::string> restored_; // before open: where each stream continues
  positions mine_;
  std::unique_ptr<redis::connection> conn_;
};

} // namespace

source_factory<redis_entry> redis_stream_source(redis_stream_source_options options) {
  if (options.streams.empty()) throw std::invalid_argument("redis_stream_source: no stream given");
  for (const auto& s : options.streams)
    if (s.empty()) throw std::invalid_argument("redis_stream_source: an empty stream name");
  if (!id_millis(options.after_id))
    throw std::invalid_argument("redis_stream_source: after_id '" + options.after_id
                                + "' is not an entry id like 0-0 or 1700000000000-5");
  if (options.server.host.empty() || options.server.port == 0)
    throw std::invalid_argument("redis_stream_source: no server host or port");
  return [options] { return std::make_unique<stream_source>(options); };
}

} // namespace weir
