#pragma once

// The physical plan: the logical graph expanded into tasks (one per chain
// subtask) and channels (one per producer subtask -> consumer subtask pair of
// an edge). Plain data; the supervisor deploys it, nodes rebuild it from the
// same job graph, so both sides agree on every index.

#include <cstdint>
#include <string>
#include <vector>

#include "weir/detail/graph.hpp"
#include "weir/error.hpp"

namespace weir::detail {

/// Operators that run in one task: a head and the forward-connected operators
/// chained after it (a single operator when chaining is off).
struct chain_spec {
  std::vector<int> vertices;
  uint32_t parallelism = 1;
  uint32_t first_task = 0; ///< Task index of subtask 0; subtask i is first_task + i.
};

/// An edge between chains: the last vertex of `producer_chain` feeds `consumer_vertex`.
struct edge_spec {
  int producer_chain = 0;
  int consumer_chain = 0;
  int consumer_vertex = 0;
  int consumer_input = 0; ///< Which input of the consumer vertex (0, or 1 for two-input operators).
  int port = 0; ///< The producer's output the edge leaves from: 0 main, 1 side.
  partitioning mode = partitioning::forward;
};

struct channel_spec {
  uint32_t producer_task = 0;
  uint32_t out_channel = 0; ///< Index among the producer task's output channels.
  uint32_t consumer_task = 0;
  uint32_t in_channel = 0;  ///< Index among the consumer task's input channels.
};

struct task_spec {
  int chain = 0;
  uint32_t subtask = 0;
  /// Per outgoing edge (in edge order), its out channels in consumer subtask order.
  std::vector<std::vector<uint32_t>> out_edges;
  std::vector<int> out_edge_ids;
  uint32_t num_inputs = 0;
  uint32_t num_outputs = 0;
  /// Per in channel: which input of the head operator it feeds.
  std::vector<uint8_t> channel_input;
};

struct physical_plan {
  std::vector<uint32_t> vertex_parallelism;   ///< Effective, per vertex id.
  std::vector<std::vector<partitioning>> input_mode; ///< Effective, per vertex id and input.
  std::vector<chain_spec> chains;
  std::vector<edge_spec> edges;
  std::vector<task_spec> tasks;
  std::vector<channel_spec> channels;
  uint32_t max_parallelism = default_max_parallelism;

  /// How errors and logs name a task: its chain's uids and the subtask.
  std::string task_name(const job_graph& g, uint32_t task) const;
  /// What a subtask of `vertex` knows about itself (key groups included).
  subtask_info info(const job_graph& g, int vertex, uint32_t subtask) const;
};

/// Resolves parallelism and partitioning, chains operators, numbers tasks and
/// channels. Fails (errc::bad_argument) on duplicate uids, a parallelism above
/// max parallelism, or a forward edge between different parallelisms.
expected<physical_plan> make_plan(const job_graph& g);

/// Savepoints map state by uid, so a stateful operator whose uid Weir made
/// up ("<kind>-<n>") is refused: errc::bad_argument naming each such
/// operator ("'reduce-3' (reduce)"), or no error.
error check_savepoint_uids(const job_graph& g);

} // namespace weir::detail
