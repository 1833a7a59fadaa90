#pragma once

// A task host for unit tests: records everything a task_core asks of it, so a
// test can step the task message by message and read what it sent.

#include <catch2/catch.hpp>

#include <string>
#include <utility>
#include <vector>

#include "task_core.hpp"
#include "weir/codec.hpp"
#include "weir/detail/frame.hpp"
#include "weir/stream.hpp"

namespace weir::test {

struct fake_transport : runtime::task_transport {
  std::vector<std::pair<uint32_t, std::vector<char>>> frames; // out channel, bytes
  std::vector<std::pair<uint32_t, uint32_t>> credits;         // in channel, frames
  int resumes = 0;
  int delayed_resumes = 0;
  int flushes = 0;
  int timers = 0;
  bool done = false;
  runtime::task_stats stats;

  void send_frame(uint32_t ch, std::vector<char> bytes) override {
    frames.emplace_back(ch, std::move(bytes));
  }
  void grant_credit(uint32_t ch, uint32_t n) override { credits.emplace_back(ch, n); }
  void schedule_resume() override { ++resumes; }
  void schedule_resume_after(std::chrono::milliseconds) override { ++delayed_resumes; }
  void schedule_flush(std::chrono::milliseconds) override { ++flushes; }
  void schedule_timer(std::chrono::milliseconds) override { ++timers; }
  runtime::snapshot_chunks final_snapshot;
  bool all_committed = false;
  void finished(const runtime::task_stats& s, runtime::snapshot_chunks snapshot) override {
    done = true;
    stats = s;
    final_snapshot = std::move(snapshot);
  }
  void committed() override { all_committed = true; }
  /// Checkpoint id and snapshot; tests keep state small, so it is one chunk.
  std::vector<std::pair<uint64_t, std::vector<char>>> snapshots;
  void checkpoint_taken(uint64_t id, runtime::snapshot_chunks snapshot, uint64_t) override {
    snapshots.emplace_back(id, std::move(snapshot.front()));
  }

  detail::frame_view view(size_t i) const {
    auto v = detail::decode_frame(frames[i].second.data(), frames[i].second.size());
    REQUIRE(v);
    return *v;
  }

  /// The int64 records of frame `i` (none for a control frame).
  std::vector<int64_t> records(size_t i) const {
    auto v = view(i);
    std::vector<int64_t> out;
    for (size_t r = 0; r < v.size(); ++r) {
      int64_t x;
      REQUIRE(decode_value(v.value(r), x));
      out.push_back(x);
    }
    return out;
  }

  /// Every int64 record sent, in order.
  std::vector<int64_t> values() const {
    std::vector<int64_t> out;
    for (size_t i = 0; i < frames.size(); ++i)
      for (auto x : records(i)) out.push_back(x);
    return out;
  }

  bool is_end_of_input(size_t i) const {
    return view(i).type() == detail::frame_view::kind::end_of_input;
  }

  /// Each frame as text: "data 1 2", "wm 100", "idle", "end".
  std::vector<std::string> kinds() const {
    std::vector<std::string> out;
    for (size_t i = 0; i < frames.size(); ++i) {
      auto v = view(i);
      switch (v.type()) {
        case detail::frame_view::kind::data: {
          std::string s = "data";
          for (auto x : records(i)) s += " " + std::to_string(x);
          out.push_back(s);
          break;
        }
        case detail::frame_view::kind::watermark: out.push_back("wm " + std::to_string(v.watermark())); break;
        case detail::frame_view::kind::idle: out.push_back("idle"); break;
        case detail::frame_view::kind::end_of_input: out.push_back("end"); break;
        case detail::frame_view::kind::barrier: out.push_back("barrier " + std::to_string(v.checkpoint())); break;
      }
    }
    return out;
  }
};

/// A data frame of int64 records with timestamps, addressed to `channel`.
inline std::vector<char> int_frame(uint32_t channel, uint64_t sequence,
                                   const std::vector<std::pair<int64_t, int64_t>>& values_and_times) {
  detail::batch_builder b;
  for (auto [v, ts] : values_and_times) b.add(ts, [&](auto& p) { encode_value(v, p); });
  return b.seal(channel, sequence);
}

} // namespace weir::test

namespace weir::test {

/// One task of a job, built and stepped by hand: the plan, the host and the
/// task core kept together (declaration order is construction order).
struct stepped_task {
  detail::physical_plan plan;
  fake_transport tr;
  std::unique_ptr<runtime::task_core> core;

  stepped_task(const environment& env, uint32_t task, const runtime_options& options = {})
    : plan(*detail::make_plan(env.graph())),
      core(std::make_unique<runtime::task_core>(env.graph(), plan, task, options, tr)) {}

  runtime::task_core* operator->() { return core.get(); }
};

} // namespace weir::test
