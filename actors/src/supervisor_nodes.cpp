// The supervisor and its nodes: which node a task runs on, a node lost with
// its tasks, placing the job on the nodes left, waiting (bounded) for a lost
// node when they are too few, and a lost node coming back.

#include <chrono>

#include "slot_assignment.hpp"
#include "supervisor_state.hpp"

namespace weir::runtime::supervising {

namespace {

// How often a lost node is asked to rejoin.
constexpr auto rejoin_interval = std::chrono::seconds(1);

const std::string& address_of(supervisor_actor* self, size_t node) {
  return self->state.how.where.addresses[node];
}

// The nodes up other than `node`: a node that rejoins connects to them.
std::vector<std::string> peers_of(supervisor_actor* self, size_t node) {
  auto& st = self->state;
  std::vector<std::string> peers;
  for (size_t n = 0; n < st.lost_nodes.size(); ++n)
    if (n != node && !st.lost_nodes[n]) peers.push_back(address_of(self, n));
  return peers;
}

void node_came_back(supervisor_actor* self, size_t node, caf::actor actor, uint32_t slots) {
  auto& st = self->state;
  self->monitor(actor); // its connection closing is a down message
  st.how.where.nodes[node] = std::move(actor);
  st.how.where.slots[node] = slots; // it may have come back with another --slots
  st.lost_nodes[node] = false;
  st.replace_nodes = true; // the next attempt may use it
  say(self,
      "node " + address_of(self, node) + " rejoined with " + std::to_string(slots) + " slot(s)");
  if (st.waiting_for_nodes) {
    st.waiting_for_nodes = false;
    begin_attempt(self);
  }
}

// Marks lost a node whose proxy is already cleaned up but whose down
// message (the supervisor monitors every node) is still in the mailbox
// behind the message that began this attempt: a deploy to it would wait out
// its timeout.
void notice_silently_lost_nodes(supervisor_actor* self) {
  auto& st = self->state;
  for (size_t n = 0; n < st.lost_nodes.size(); ++n) {
    auto* proxy = caf::actor_cast<caf::abstract_actor*>(st.how.where.nodes[n]);
    if (!st.lost_nodes[n] && proxy != nullptr
        && proxy->getf(caf::abstract_actor::is_cleaned_up_flag))
      mark_lost(self, n);
  }
}

} // namespace

int node_of(supervisor_actor* self, uint32_t t) {
  const auto& where = self->state.how.where;
  return t < where.node_of_task.size() ? where.node_of_task[t] : -1;
}

int lost_node(supervisor_actor* self, uint32_t t, const caf::error& reason) {
  return reason == caf::exit_reason::remote_link_unreachable ? node_of(self, t) : -1;
}

std::string why_down(supervisor_actor* self, uint32_t t, const caf::error& reason) {
  int node = lost_node(self, t, reason);
  if (node < 0) return task_name(self, t) + " died: " + self->system().render(reason);
  return task_name(self, t) + " was lost with node " + address_of(self, size_t(node))
         + ": the connection to it closed (the node was killed, stopped or cut off; one silent for "
         + std::to_string(self->state.dep->options.node_silence_timeout_ms) + " ms counts as lost)";
}

void mark_lost(supervisor_actor* self, size_t node) {
  auto& st = self->state;
  if (st.lost_nodes[node]) return;
  st.lost_nodes[node] = true;
  st.replace_nodes = true;
  say(self, "node " + address_of(self, node) + " is lost", log_level::warn);
  ask_to_rejoin(self, uint32_t(node));
}

bool node_down(supervisor_actor* self, const caf::actor_addr& source) {
  auto& where = self->state.how.where;
  for (size_t n = 0; n < where.nodes.size(); ++n)
    if (where.nodes[n] && where.nodes[n].address() == source) {
      mark_lost(self, n);
      return true;
    }
  return false;
}

void node_lost_with(supervisor_actor* self, uint32_t t, const caf::error& reason) {
  int node = lost_node(self, t, reason);
  if (node >= 0) mark_lost(self, size_t(node));
}

void ask_to_rejoin(supervisor_actor* self, uint32_t node) {
  auto& st = self->state;
  if (st.over || !st.how.rejoiner || node >= st.lost_nodes.size() || !st.lost_nodes[node]) return;
  self->request(st.how.rejoiner, caf::infinite, join_atom::value, address_of(self, node),
                peers_of(self, node))
      .then(
          [self, node](caf::actor& actor, uint32_t slots) {
            if (!self->state.over && self->state.lost_nodes[node])
              node_came_back(self, node, std::move(actor), slots);
          },
          [self, node](caf::error&) {
            self->delayed_send(self, rejoin_interval, rejoin_atom::value, node);
          });
}

// Places the job's tasks in `where` on the nodes up; why it cannot, or "".
std::string place_on_nodes_up(supervisor_actor* self, placement& where) {
  auto& st = self->state;
  std::vector<bool> usable(st.lost_nodes.size());
  for (size_t n = 0; n < usable.size(); ++n)
    usable[n] = !st.lost_nodes[n];
  auto err = assign_slots(where, st.dep->plan, usable);
  return err ? "a node was lost and the job cannot run on the nodes left: " + err.message() : "";
}

// Why the job does not fit on the nodes up now (more may have been lost
// since the wait began).
std::string why_not_placed(supervisor_actor* self) {
  auto where = self->state.how.where; // a copy: only the message is wanted
  auto why = place_on_nodes_up(self, where);
  return why.empty() ? self->state.wait_reason : why;
}

bool place_on_remaining_nodes(supervisor_actor* self) {
  auto& st = self->state;
  notice_silently_lost_nodes(self);
  if (!st.replace_nodes) return true;
  if (auto why = place_on_nodes_up(self, st.how.where); !why.empty()) {
    auto wait = st.dep->options.node_return_timeout_ms;
    if (wait == 0 || !st.how.rejoiner) {
      fail_run(self, errc::unreachable, why);
      return false;
    }
    // replace_nodes stays set: the attempt begins once a node is back. One
    // deadline for the whole wait, however many nodes come back meanwhile.
    st.waiting_for_nodes = true;
    st.wait_reason = why;
    if (!st.wait_deadline_set) {
      st.wait_deadline_set = true;
      st.wait_until = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait);
      ++st.wait_episode;
      say(self,
          why + "; waiting up to " + std::to_string(wait) + " ms for a lost node to come back");
      self->delayed_send(self, std::chrono::milliseconds(wait), rejoin_atom::value,
                         timeout_atom::value, st.wait_episode);
    } else {
      say(self, why + "; still waiting for a lost node to come back", log_level::warn);
    }
    return false;
  }
  st.wait_deadline_set = false;
  st.replace_nodes = false;
  say(self, "placed on the nodes up: " + describe_placement(st.how.where, *st.dep));
  return true;
}

void waited_for_nodes(supervisor_actor* self, uint32_t episode) {
  auto& st = self->state;
  if (st.over || !st.waiting_for_nodes || st.wait_episode != episode) return;
  fail_run(self, errc::unreachable,
           why_not_placed(self) + "; no lost node came back within "
               + std::to_string(st.dep->options.node_return_timeout_ms)
               + " ms (node_return_timeout_ms)");
}

std::string waiting_text(supervisor_actor* self) {
  auto& st = self->state;
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      st.wait_until - std::chrono::steady_clock::now());
  return "waiting " + std::to_string(std::max<int64_t>(0, left.count()))
         + " ms more for a lost node to come back: " + st.wait_reason;
}

} // namespace weir::runtime::supervising
