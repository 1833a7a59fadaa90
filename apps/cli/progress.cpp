#include "progress.hpp"

#include "weir/log.hpp"

#include <cmath>
#include <ctime>
#include <set>

namespace weir::apps {

namespace {

std::string compact(double n) {
  char buf[32];
  if (n >= 1e9)
    std::snprintf(buf, sizeof buf, "%.2fG", n / 1e9);
  else if (n >= 1e6)
    std::snprintf(buf, sizeof buf, "%.2fM", n / 1e6);
  else if (n >= 1e4)
    std::snprintf(buf, sizeof buf, "%.1fk", n / 1e3);
  else
    std::snprintf(buf, sizeof buf, "%.0f", n);
  return buf;
}

std::string bytes(uint64_t n) {
  char buf[32];
  if (n >= (1u << 20))
    std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(n) / (1u << 20));
  else
    std::snprintf(buf, sizeof buf, "%.1f KiB", static_cast<double>(n) / 1024);
  return buf;
}

} // namespace

std::string progress_text(const job_metrics& m) {
  // Sources are the tasks nothing feeds: what they sent is what was read.
  std::set<uint32_t> fed;
  for (const auto& c : m.channels)
    fed.insert(c.second);
  double read = 0, rate = 0;
  int64_t event_time = INT64_MAX;
  bool any_watermark = false;
  for (uint32_t t = 0; t < m.tasks.size(); ++t) {
    const auto& task = m.tasks[t];
    if (!fed.count(t)) {
      read += static_cast<double>(task.records_out);
      rate += task.records_out_per_s;
    }
    if (task.running && task.watermark != INT64_MIN && task.watermark != INT64_MAX) {
      event_time = std::min(event_time, task.watermark);
      any_watermark = true;
    }
  }
  std::string line = m.job + ": " + compact(read) + " records read (" + compact(rate) + "/s)";
  if (any_watermark) {
    line += ", event time " + utc_text(event_time, "%Y-%m-%d %H:%M:%S");
    // Behind wall time only means something for live input, not for history replayed.
    double lag = static_cast<double>(m.wall_ms - event_time) / 1e3;
    char text[48];
    std::snprintf(text, sizeof text, " (%.1f s behind)", lag);
    if (lag >= 0 && lag < 86400) line += text;
  }
  if (!m.checkpoints.empty())
    line += ", checkpoint " + std::to_string(m.checkpoints.back().id) + " ("
            + bytes(m.checkpoints.back().bytes) + ")";
  if (m.restarts > 0) line += ", " + std::to_string(m.restarts) + " restart(s)";
  return line;
}

progress_printer::progress_printer(std::FILE* out, bool terminal,
                                   std::chrono::milliseconds plain_every)
    : out_(out), terminal_(terminal), plain_every_(plain_every),
      last_plain_(std::chrono::steady_clock::now()) {}

void progress_printer::print(const job_metrics& m) {
  auto line = progress_text(m);
  std::lock_guard<std::mutex> guard(mtx_);
  if (terminal_) {
    std::fprintf(out_, "\r\033[K%s", line.c_str()); // rewrite in place
    open_line_ = true;
  } else {
    auto now = std::chrono::steady_clock::now();
    if (now - last_plain_ < plain_every_)
      return; // the first line after one period: rates known by then
    last_plain_ = now;
    std::fprintf(out_, "weir: progress: %s\n", line.c_str());
  }
  std::fflush(out_);
}

void progress_printer::finish() {
  std::lock_guard<std::mutex> guard(mtx_);
  if (open_line_) std::fputc('\n', out_);
  open_line_ = false;
}

std::function<void(const job_metrics&)>
progress_printer::callback(std::shared_ptr<progress_printer> printer) {
  return [printer](const job_metrics& m) { printer->print(m); };
}

} // namespace weir::apps
