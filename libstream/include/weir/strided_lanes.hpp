#pragma once

/// \file
/// Positions of a source that spreads numbered records over its
/// subtasks by stride, and can change its parallelism on a restore.

#include <algorithm>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "weir/codec.hpp"
#include "weir/detail/operator.hpp"
#include "weir/functions.hpp"

namespace weir {

/// Which of the numbers 0, 1, 2, ... a source subtask emits, and where it
/// is. A fresh subtask i of p has one lane: i, i + p, i + 2p, ... A restore
/// at another parallelism hands new subtask j the lanes of every old
/// subtask i with i % parallelism == j, so every number is still emitted
/// exactly once, in increasing order within a subtask (a new subtask left
/// without lanes emits nothing). The position written is the next number of
/// the one lane when a subtask has its own lane, as sources wrote it before
/// rescaling existed. Not thread-safe: one per source subtask.
class strided_lanes {
public:
  /// Called by the source's open(): a subtask that was not restored takes
  /// its own lane. Returns false when a restored single position is not one
  /// of this subtask's numbers (a corrupt or foreign position).
  bool open(const subtask_info& info) {
    if (restored_single_) {
      lanes_ = {{*restored_single_, info.parallelism}};
      return *restored_single_ % info.parallelism == info.index;
    }
    if (!restored_) lanes_ = {{info.index, info.parallelism}};
    return true;
  }

  /// Calls emit(n) for up to `max` of this subtask's next numbers below
  /// `count`, smallest first. Returns whether any remain below `count`.
  template <class Emit>
  bool emit(uint64_t count, size_t max, Emit&& emit) {
    if (lanes_.size() == 1) { // the usual case, kept tight
      auto& [next, step] = lanes_.front();
      for (size_t i = 0; i < max && next < count; ++i, next += step) emit(next);
      return next < count;
    }
    for (size_t i = 0; i < max; ++i) {
      auto lane = std::min_element(lanes_.begin(), lanes_.end());
      if (lane == lanes_.end() || lane->first >= count) return false;
      emit(lane->first);
      lane->first += lane->second;
    }
    return std::any_of(lanes_.begin(), lanes_.end(), [count](const auto& l) { return l.first < count; });
  }

  /// Writes the position: the next number alone while the subtask has just
  /// its own lane, else a marker and every (next number, step) lane.
  void write(byte_writer& out) const {
    if (lanes_.size() == 1 && own_lane_) {
      codec<uint64_t>::encode(lanes_.front().first, out);
      return;
    }
    codec<uint64_t>::encode(lanes_marker, out);
    codec<std::vector<std::pair<uint64_t, uint64_t>>>::encode(lanes_, out);
  }

  /// On a restore at the same parallelism, before open(): reads what
  /// write() wrote. Reading past the bytes fails `in`.
  void read(byte_reader& in) {
    restored_ = true;
    auto first = codec<uint64_t>::decode(in);
    if (first != lanes_marker) {
      restored_single_ = first;
      return;
    }
    lanes_ = codec<std::vector<std::pair<uint64_t, uint64_t>>>::decode(in);
    own_lane_ = false;
  }

  /// source_function::read_rescaled_positions for such a source: takes the
  /// lanes of the old subtasks i with i % now.parallelism == now.index.
  /// Returns false when a position does not decode.
  bool read_rescaled(const subtask_info& now, const std::vector<std::string>& positions) {
    restored_ = true;
    own_lane_ = false;
    lanes_.clear();
    auto old_parallelism = static_cast<uint64_t>(positions.size());
    for (uint64_t i = now.index; i < positions.size(); i += now.parallelism) {
      if (positions[i].empty()) { // the old subtask had no position: it had not started
        lanes_.emplace_back(i, old_parallelism);
        continue;
      }
      byte_reader in(positions[i]);
      strided_lanes old;
      old.read(in);
      if (!in.ok() || !in.at_end()) return false;
      if (old.restored_single_) lanes_.emplace_back(*old.restored_single_, old_parallelism);
      lanes_.insert(lanes_.end(), old.lanes_.begin(), old.lanes_.end());
    }
    return true;
  }

  /// (next number, step) per lane.
  const std::vector<std::pair<uint64_t, uint64_t>>& lanes() const noexcept { return lanes_; }

private:
  static constexpr uint64_t lanes_marker = UINT64_MAX; // never a next number

  std::vector<std::pair<uint64_t, uint64_t>> lanes_;
  std::optional<uint64_t> restored_single_;
  bool restored_ = false;
  bool own_lane_ = true; // one lane, this subtask's own: written as a plain number
};

/// A source of numbered records spread over its subtasks by stride: it
/// keeps its position in strided_lanes, so it can change its parallelism on
/// a restore. A subclass's poll() emits through lanes_.emit(count, max, fn).
template <class T>
class strided_source_function : public source_function<T> {
public:
  /// Throws (the restore fails) when a restored position is another subtask's.
  void open(const subtask_info& info) override {
    if (!lanes_.open(info))
      throw std::runtime_error("the restored position " + std::to_string(lanes_.lanes().front().first)
                               + " is not one of subtask " + std::to_string(info.index) + "'s numbers (of "
                               + std::to_string(info.parallelism) + ")");
  }
  bool has_position() const override { return true; }
  void write_position(byte_writer& out) const override { lanes_.write(out); }
  void read_position(byte_reader& in) override { lanes_.read(in); }
  bool read_rescaled_positions(const subtask_info& now, const std::vector<std::string>& positions) override {
    return lanes_.read_rescaled(now, positions);
  }

protected:
  /// Where the subtask is; poll() emits through lanes_.emit(count, max, fn).
  strided_lanes lanes_;
};

} // namespace weir
