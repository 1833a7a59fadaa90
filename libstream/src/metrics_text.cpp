// Job metrics as Prometheus exposition text and InfluxDB line protocol.

#include "weir/metrics.hpp"

#include <algorithm>
#include <cctype>

#include "weir/detail/state_json.hpp"
#include "weir/options.hpp"

#include <cmath>
#include <cstdio>
#include <functional>

namespace weir {

std::string task_metrics::name() const {
  return operator_uid + "[" + std::to_string(subtask) + "/" + std::to_string(parallelism) + "]";
}

namespace {

bool finite_watermark(int64_t wm) {
  return wm != INT64_MIN && wm != INT64_MAX;
}

std::string number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.15g", v);
  return buf;
}

std::string number(uint64_t v) {
  return std::to_string(v);
}

// ---- Prometheus -------------------------------------------------------------

} // namespace

std::string prometheus_label_value(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

namespace {

std::string label_value(const std::string& s) {
  return prometheus_label_value(s);
}

/// Writes one metric family: its HELP and TYPE, then a sample per task for
/// which `value` gives one.
class prometheus_writer {
public:
  explicit prometheus_writer(const job_metrics& m) : m_(m) {}

  void task_family(const char* name, const char* type, const char* help,
                   const std::function<std::optional<std::string>(const task_metrics&)>& value) {
    header(name, type, help);
    for (const auto& t : m_.tasks)
      if (auto v = value(t))
        out_ += std::string(name) + "{job=\"" + label_value(m_.job) + "\",operator=\""
                + label_value(t.operator_uid) + "\",subtask=\"" + std::to_string(t.subtask) + "\"} "
                + *v + "\n";
  }

  void job_family(const char* name, const char* type, const char* help, const std::string& value) {
    header(name, type, help);
    out_ += std::string(name) + "{job=\"" + label_value(m_.job) + "\"} " + value + "\n";
  }

  std::string take() { return std::move(out_); }

private:
  void header(const char* name, const char* type, const char* help) {
    out_ += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
  }

  const job_metrics& m_;
  std::string out_;
};

using task_value = std::function<std::optional<std::string>(const task_metrics&)>;

/// A field as it is: a count, a rate or a share.
template <class T> task_value value_of(T task_metrics::*field) {
  return [field](const task_metrics& t) { return std::optional<std::string>(number(t.*field)); };
}

task_value seconds_of(uint64_t task_metrics::*field, double unit) {
  return [field, unit](const task_metrics& t) {
    return std::optional<std::string>(number(static_cast<double>(t.*field) / unit));
  };
}

void task_families(prometheus_writer& w, const job_metrics& m) {
  w.task_family("weir_task_records_in_total", "counter", "Records a task read from its inputs.",
                value_of(&task_metrics::records_in));
  w.task_family("weir_task_records_out_total", "counter", "Records a task sent to its outputs.",
                value_of(&task_metrics::records_out));
  w.task_family("weir_task_bytes_in_total", "counter", "Bytes of the frames a task received.",
                value_of(&task_metrics::bytes_in));
  w.task_family("weir_task_bytes_out_total", "counter", "Bytes of the frames a task sent.",
                value_of(&task_metrics::bytes_out));
  w.task_family("weir_task_late_records_total", "counter",
                "Records that arrived past allowed lateness.",
                value_of(&task_metrics::late_records));
  w.task_family("weir_task_records_in_per_second", "gauge",
                "Records read per second over the last interval.",
                value_of(&task_metrics::records_in_per_s));
  w.task_family("weir_task_records_out_per_second", "gauge",
                "Records sent per second over the last interval.",
                value_of(&task_metrics::records_out_per_s));
  w.task_family("weir_task_busy_seconds_total", "counter", "Wall time a task spent processing.",
                seconds_of(&task_metrics::busy_ns, 1e9));
  w.task_family("weir_task_backpressured_seconds_total", "counter",
                "Wall time a task waited with an output out of credit.",
                seconds_of(&task_metrics::backpressured_ns, 1e9));
  w.task_family("weir_task_idle_seconds_total", "counter", "Wall time a task waited for input.",
                seconds_of(&task_metrics::idle_ns, 1e9));
  w.task_family("weir_task_busy_ratio", "gauge", "Share of wall time busy over the last interval.",
                value_of(&task_metrics::busy_share));
  w.task_family("weir_task_backpressured_ratio", "gauge",
                "Share of wall time backpressured over the last interval.",
                value_of(&task_metrics::backpressured_share));
  w.task_family("weir_task_idle_ratio", "gauge", "Share of wall time idle over the last interval.",
                value_of(&task_metrics::idle_share));
  w.task_family("weir_task_queued_frames", "gauge", "Input frames received and not yet processed.",
                value_of(&task_metrics::queued_frames));
  w.task_family("weir_task_credits", "gauge", "Frames a task may still send, over its outputs.",
                value_of(&task_metrics::credits));
  w.task_family("weir_task_watermark_seconds", "gauge",
                "A task's output watermark (event time, epoch s).",
                [](const task_metrics& t) -> std::optional<std::string> {
                  if (t.watermark == INT64_MIN) return std::nullopt;
                  if (t.watermark == INT64_MAX) return std::string("+Inf");
                  return number(static_cast<double>(t.watermark) / 1e3);
                });
  auto wall = m.wall_ms;
  w.task_family("weir_task_watermark_lag_seconds", "gauge",
                "How far a task's watermark is behind wall time.",
                [wall](const task_metrics& t) -> std::optional<std::string> {
                  if (!finite_watermark(t.watermark)) return std::nullopt;
                  return number(static_cast<double>(wall - t.watermark) / 1e3);
                });
  w.task_family("weir_task_checkpoint_alignment_seconds", "gauge",
                "How long a task held its inputs for the latest checkpoint's barrier.",
                seconds_of(&task_metrics::checkpoint_alignment_us, 1e6));
  w.task_family("weir_task_checkpoint_size_bytes", "gauge",
                "State a task stored in the latest checkpoint.",
                value_of(&task_metrics::checkpoint_bytes));
  auto bottleneck = m.bottleneck;
  const auto* first = m.tasks.data();
  w.task_family("weir_task_bottleneck", "gauge",
                "1 for the task named the job's bottleneck, else 0.",
                [bottleneck, first](const task_metrics& t) {
                  bool is = bottleneck && static_cast<size_t>(&t - first) == *bottleneck;
                  return std::optional<std::string>(is ? "1" : "0");
                });
}

void job_families(prometheus_writer& w, const job_metrics& m) {
  w.job_family("weir_job_attempt", "gauge",
               "The job's current attempt (1 until its first restart).",
               number(uint64_t{m.attempt}));
  w.job_family("weir_job_restarts_total", "counter", "Restarts of the job from a checkpoint.",
               number(uint64_t{m.restarts}));
  w.job_family("weir_job_checkpoints_completed_total", "counter", "Checkpoints completed.",
               number(m.checkpoints_completed));
  w.job_family("weir_job_checkpoints_failed_total", "counter", "Checkpoints abandoned.",
               number(m.checkpoints_failed));
  w.job_family("weir_job_frames_rejected_total", "counter", "Malformed frames a task refused.",
               number(m.frames_rejected));
  auto r = rollup(m);
  w.job_family("weir_job_records_in_total", "counter", "Records the job's sources emitted.",
               number(r.records_in));
  w.job_family("weir_job_records_out_total", "counter", "Records the job's sinks took in.",
               number(r.records_out));
  w.job_family("weir_job_records_in_per_second", "gauge",
               "Records the sources emitted per second, last interval.",
               number(r.records_in_per_s));
  w.job_family("weir_job_records_out_per_second", "gauge",
               "Records the sinks took in per second, last interval.", number(r.records_out_per_s));
  w.job_family("weir_job_late_records_total", "counter", "Late records, over every task.",
               number(r.late_records));
  w.job_family("weir_job_queued_frames", "gauge", "Input frames waiting, over every task.",
               number(r.queued_frames));
  w.job_family("weir_job_backpressured_tasks", "gauge",
               "Tasks backpressured over half the last interval.",
               number(uint64_t{r.backpressured_tasks}));
  if (finite_watermark(r.watermark))
    w.job_family("weir_job_watermark_lag_seconds", "gauge",
                 "How far the sinks' least watermark is behind wall time.",
                 number(static_cast<double>(m.wall_ms - r.watermark) / 1e3));
  if (m.checkpoints.empty()) return;
  const auto& last = m.checkpoints.back();
  w.job_family("weir_job_last_checkpoint_id", "gauge", "The latest completed checkpoint.",
               number(last.id));
  w.job_family("weir_job_last_checkpoint_duration_seconds", "gauge",
               "Trigger to stored, latest checkpoint.",
               number(static_cast<double>(last.duration_ms) / 1e3));
  w.job_family("weir_job_last_checkpoint_alignment_seconds", "gauge",
               "The longest any task held its inputs, latest checkpoint.",
               number(static_cast<double>(last.alignment_us) / 1e6));
  w.job_family("weir_job_last_checkpoint_size_bytes", "gauge", "State stored, latest checkpoint.",
               number(last.bytes));
}

// ---- InfluxDB ---------------------------------------------------------------

/// A tag key or value, or a measurement name: comma, equals sign and space
/// escaped; a newline (which no escape covers) becomes a space, escaped.
std::string tag_text(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == '\n' || c == '\r') c = ' ';
    if (c == ',' || c == '=' || c == ' ' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

std::string integer_field(const char* name, uint64_t v) {
  return std::string(name) + "=" + std::to_string(v) + "i";
}

std::string signed_field(const char* name, int64_t v) {
  return std::string(name) + "=" + std::to_string(v) + "i";
}

std::string float_field(const char* name, double v) {
  return std::string(name) + "=" + number(std::isfinite(v) ? v : 0.0);
}

std::string task_line(const job_metrics& m, const task_metrics& t, bool bottleneck,
                      const std::string& ns) {
  std::string tags = "weir_task,job=" + tag_text(m.job) + ",operator=" + tag_text(t.operator_uid)
                     + ",subtask=" + std::to_string(t.subtask);
  if (!t.node.empty()) tags += ",node=" + tag_text(t.node);
  std::string fields =
      integer_field("records_in", t.records_in) + "," + integer_field("records_out", t.records_out)
      + "," + integer_field("bytes_in", t.bytes_in) + "," + integer_field("bytes_out", t.bytes_out)
      + "," + integer_field("late_records", t.late_records) + ","
      + integer_field("queued_frames", t.queued_frames) + "," + integer_field("credits", t.credits)
      + "," + float_field("records_in_per_s", t.records_in_per_s) + ","
      + float_field("records_out_per_s", t.records_out_per_s) + ","
      + float_field("busy_share", t.busy_share) + ","
      + float_field("backpressured_share", t.backpressured_share) + ","
      + float_field("idle_share", t.idle_share) + ","
      + integer_field("checkpoint_alignment_us", t.checkpoint_alignment_us) + ","
      + integer_field("checkpoint_bytes", t.checkpoint_bytes) + ","
      + integer_field("bottleneck", bottleneck ? 1 : 0);
  if (finite_watermark(t.watermark))
    fields += "," + signed_field("watermark_ms", t.watermark) + ","
              + float_field("watermark_lag_s", static_cast<double>(m.wall_ms - t.watermark) / 1e3);
  return tags + " " + fields + " " + ns + "\n";
}

std::string rollup_fields(const job_metrics& m) {
  auto r = rollup(m);
  std::string fields = integer_field("records_in", r.records_in) + ","
                       + integer_field("records_out", r.records_out) + ","
                       + float_field("records_in_per_s", r.records_in_per_s) + ","
                       + float_field("records_out_per_s", r.records_out_per_s) + ","
                       + integer_field("late_records", r.late_records) + ","
                       + integer_field("queued_frames", r.queued_frames) + ","
                       + integer_field("backpressured_tasks", r.backpressured_tasks);
  if (finite_watermark(r.watermark))
    fields += "," + signed_field("watermark_ms", r.watermark) + ","
              + float_field("watermark_lag_s", static_cast<double>(m.wall_ms - r.watermark) / 1e3);
  return fields;
}

std::string nanoseconds(int64_t ms) {
  return std::to_string(ms) + "000000";
}

// ---- JSON -------------------------------------------------------------------

std::string json_number(double v) {
  return std::isfinite(v) ? number(v) : "null";
}

/// Appends `"key":value,` pairs; close() drops the last comma.
class json_object {
public:
  json_object& field(const char* key, const std::string& raw) {
    out_ += std::string("\"") + key + "\":" + raw + ",";
    return *this;
  }
  json_object& field(const char* key, uint64_t v) { return field(key, std::to_string(v)); }
  json_object& real(const char* key, double v) { return field(key, json_number(v)); }
  json_object& text(const char* key, const std::string& v) {
    return field(key, detail::json_string(v));
  }
  std::string close() {
    if (out_.back() == ',') out_.pop_back();
    return out_ + "}";
  }

private:
  std::string out_ = "{";
};

std::string task_json(const task_metrics& t, int64_t wall_ms) {
  json_object o;
  o.text("operator", t.operator_uid)
      .field("subtask", t.subtask)
      .field("parallelism", t.parallelism);
  o.text("name", t.name()).text("node", t.node).field("running", t.running ? "true" : "false");
  bool finite = finite_watermark(t.watermark);
  o.field("watermark", finite ? std::to_string(t.watermark) : "null");
  o.field("watermark_lag_s",
          finite ? json_number(static_cast<double>(wall_ms - t.watermark) / 1e3) : "null");
  o.field("end_of_input", t.watermark == INT64_MAX ? "true" : "false");
  o.field("records_in", t.records_in).field("records_out", t.records_out);
  o.field("bytes_in", t.bytes_in)
      .field("bytes_out", t.bytes_out)
      .field("late_records", t.late_records);
  o.field("queued_frames", t.queued_frames).field("credits", t.credits);
  o.field("busy_ns", t.busy_ns)
      .field("backpressured_ns", t.backpressured_ns)
      .field("idle_ns", t.idle_ns);
  o.real("records_in_per_s", t.records_in_per_s).real("records_out_per_s", t.records_out_per_s);
  o.real("busy_share", t.busy_share).real("backpressured_share", t.backpressured_share);
  o.real("idle_share", t.idle_share);
  o.field("checkpoint_alignment_us", t.checkpoint_alignment_us)
      .field("checkpoint_bytes", t.checkpoint_bytes);
  return o.close();
}

template <class T, class F> std::string json_array(const std::vector<T>& items, F&& each) {
  std::string out = "[";
  for (const auto& x : items)
    out += each(x) + ",";
  if (out.back() == ',') out.pop_back();
  return out + "]";
}

} // namespace

error metrics_options::check() const {
  if (port > 65535)
    return {errc::bad_argument, "metrics port " + std::to_string(port) + " is beyond 65535"};
  if (ui_port > 65535)
    return {errc::bad_argument, "dashboard port " + std::to_string(ui_port) + " is beyond 65535"};
  if (port > 0 && port == ui_port)
    return {errc::bad_argument,
            "the metrics endpoint and the dashboard cannot share port " + std::to_string(port)};
  if (!influxdb_url.empty() && influxdb_url.rfind("http://", 0) != 0
      && influxdb_url.rfind("https://", 0) != 0)
    return {errc::bad_argument, "InfluxDB URL '" + influxdb_url + "': expected http://host:port"};
  auto plain = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  };
  if (influxdb_db.empty() || !std::all_of(influxdb_db.begin(), influxdb_db.end(), plain))
    return {errc::bad_argument,
            "InfluxDB database '" + influxdb_db + "': use letters, digits, '_' and '-'"};
  return {};
}

std::string prometheus_text(const job_metrics& m) {
  prometheus_writer w(m);
  task_families(w, m);
  job_families(w, m);
  return w.take();
}

std::string metrics_json(const job_metrics& m) {
  json_object o;
  o.text("job", m.job).field("wall_ms", std::to_string(m.wall_ms)).field("attempt", m.attempt);
  o.field("restarts", m.restarts).field("checkpoints_completed", m.checkpoints_completed);
  o.field("checkpoints_failed", m.checkpoints_failed).field("frames_rejected", m.frames_rejected);
  o.field("bottleneck", m.bottleneck ? std::to_string(*m.bottleneck) : "null");
  auto r = rollup(m);
  json_object job;
  job.field("records_in", r.records_in).field("records_out", r.records_out);
  job.real("records_in_per_s", r.records_in_per_s).real("records_out_per_s", r.records_out_per_s);
  job.field("late_records", r.late_records).field("queued_frames", r.queued_frames);
  job.field("backpressured_tasks", r.backpressured_tasks).field("running_tasks", r.running_tasks);
  bool finite = finite_watermark(r.watermark);
  job.field("watermark", finite ? std::to_string(r.watermark) : "null");
  job.field("watermark_lag_s",
            finite ? json_number(static_cast<double>(m.wall_ms - r.watermark) / 1e3) : "null");
  o.field("rollup", job.close());
  o.field("tasks",
          json_array(m.tasks, [&](const task_metrics& t) { return task_json(t, m.wall_ms); }));
  o.field("channels", json_array(m.channels, [](const std::pair<uint32_t, uint32_t>& c) {
            return "[" + std::to_string(c.first) + "," + std::to_string(c.second) + "]";
          }));
  o.field("checkpoints", json_array(m.checkpoints, [](const checkpoint_metrics& c) {
            json_object x;
            x.field("id", c.id).field("started_ms", std::to_string(c.started_ms));
            x.field("duration_ms", c.duration_ms)
                .field("alignment_us", c.alignment_us)
                .field("bytes", c.bytes);
            return x.close();
          }));
  return o.close();
}

std::string influx_lines(const job_metrics& m) {
  std::string out;
  auto ns = nanoseconds(m.wall_ms);
  for (size_t i = 0; i < m.tasks.size(); ++i)
    out += task_line(m, m.tasks[i], m.bottleneck && *m.bottleneck == i, ns);
  out += "weir_job,job=" + tag_text(m.job) + " " + integer_field("attempt", m.attempt) + ","
         + integer_field("restarts", m.restarts) + ","
         + integer_field("checkpoints_completed", m.checkpoints_completed) + ","
         + integer_field("checkpoints_failed", m.checkpoints_failed) + ","
         + integer_field("frames_rejected", m.frames_rejected) + "," + rollup_fields(m) + " " + ns
         + "\n";
  // Each checkpoint at its start time: pushed again each interval, the same
  // point overwrites itself, so the history stays one point per checkpoint.
  for (const auto& c : m.checkpoints)
    out += "weir_checkpoint,job=" + tag_text(m.job) + " " + integer_field("id", c.id) + ","
           + integer_field("duration_ms", c.duration_ms) + ","
           + integer_field("alignment_us", c.alignment_us) + "," + integer_field("bytes", c.bytes)
           + " " + nanoseconds(c.started_ms) + "\n";
  return out;
}

} // namespace weir
