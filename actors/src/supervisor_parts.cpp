// State in parts between the supervisor and tasks on other processes: no
// message may exceed what a process reads (runtime_options::max_message_bytes).

#include "supervisor_state.hpp"

namespace weir::runtime::supervising {

/// Sends task `t` all but the last part of its state to restore ahead, in
/// order, so no message exceeds what its process reads; returns the last.
std::vector<char> state_parts_ahead(supervisor_actor* self, uint32_t t, std::vector<char> state) {
  auto part = state_part_bytes(self->state.dep->options);
  if (state.size() <= part) return state;
  size_t at = 0;
  for (; state.size() - at > part; at += part)
    self->send(self->state.tasks[t], restore_atom::value, part_atom::value,
               std::vector<char>(state.begin() + static_cast<long>(at),
                                 state.begin() + static_cast<long>(at + part)));
  return std::vector<char>(state.begin() + static_cast<long>(at), state.end());
}

/// Task `t`'s snapshot of checkpoint `id` (0: its final one): the parts it
/// sent ahead, then `last`. Parts of its older checkpoints (abandoned) go.
snapshot_chunks whole_snapshot(supervisor_actor* self, uint32_t t, uint64_t id,
                               snapshot_chunks last) {
  auto& parts = self->state.snapshot_parts;
  auto it = parts.find({t, id});
  snapshot_chunks out;
  if (it != parts.end()) {
    out = std::move(it->second);
    parts.erase(it);
  }
  for (auto& c : last)
    out.push_back(std::move(c));
  for (auto i = parts.begin(); i != parts.end();)
    i = i->first.first == t && i->first.second != 0 && i->first.second < id ? parts.erase(i)
                                                                            : std::next(i);
  return out;
}

} // namespace weir::runtime::supervising
