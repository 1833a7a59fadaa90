#pragma once

// The logical job graph the stream API builds: type-erased vertices (operators) whose
// factories know the record types. The runtime instantiates parts from it.

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <typeinfo>
#include <utility>
#include <vector>

#include "weir/detail/channel.hpp"
#include "weir/detail/operator.hpp"

namespace weir {

/// How records of an edge are spread over the consumer's subtasks.
enum class partitioning : uint8_t {
  forward,   ///< Subtask i to subtask i; needs equal parallelism.
  hash,      ///< By key: hash -> key group -> owning subtask.
  rebalance, ///< Round robin over all consumer subtasks.
  broadcast, ///< Every record to every consumer subtask.
};

const char* to_string(partitioning p) noexcept;

namespace detail {

/// Decodes the records of a data frame and pushes them into a chain's head.
class batch_reader {
public:
  virtual ~batch_reader() = default;
  /// Pushes records [begin, end) of `frame`, stopping early as soon as
  /// `blocked` becomes non-zero or `full` true (the head cannot take
  /// more: part::input_full). Returns the index of the first record not
  /// pushed. Throws record_error for a record its codec rejects.
  virtual size_t read(const frame_view& frame, size_t begin, size_t end,
                      const size_t& blocked, const bool& full) = 0;
};

/// A record on a channel did not decode with its type's codec.
class record_error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

enum class vertex_kind : uint8_t { source, transform, sink };

/// Output port of a vertex's first tagged side output (0 is its main
/// output, 1 a window's late data); tag i is port first_tag_port + i.
constexpr int first_tag_port = 2;

/// Where a part emits: its main output, its side output (late data), and
/// the side outputs of output tags that have a consumer, by tag name.
struct part_outputs {
  erased_collector main;
  erased_collector side;
  std::vector<std::pair<std::string, erased_collector>> tagged;
};

/// A side output some consumer reads through an output_tag.
struct tagged_output {
  std::string tag;
  const std::type_info* type = nullptr; ///< Its record type.
  std::function<std::unique_ptr<part>(std::vector<erased_collector>)> make_fanout;
};

/// One input of a vertex: which vertex (and output port) it reads, how records
/// are spread over its subtasks, and how they cross the channel.
struct vertex_input {
  int vertex = -1;
  /// Which output of the input vertex: 0 main, 1 side output.
  int port = 0;
  partitioning mode = partitioning::forward;
  bool mode_set = false; ///< The user (or key_by) chose `mode`.
  /// Producer side: a part whose input() collects the input type and writes
  /// it to `channels` (in consumer subtask order).
  std::function<std::unique_ptr<part>(std::vector<output_channel*> channels, partitioning,
                                      const subtask_info& producer)>
    make_writer;
  /// Consumer side: decodes frames into `head`.
  std::function<std::unique_ptr<batch_reader>(erased_collector head)> make_reader;
};

/// A consumer of a vertex's output: which vertex, and as which of its inputs.
struct consumer_ref {
  int vertex = 0;
  int input = 0;
};

/// One operator of the logical graph (a vertex; "node" means a machine in Weir).
struct vertex {
  int id = 0;
  std::string uid;
  /// The uid is "<kind>-<n>", made up when the user set none: it changes
  /// when the graph does, so savepoints refuse it on stateful operators.
  bool uid_generated = false;
  /// The operator keeps state in checkpoints (all but map, filter, flat_map).
  bool stateful = true;
  std::string name; ///< What kind of operator ("map", "reduce", ...), for logs.
  vertex_kind kind = vertex_kind::transform;
  uint32_t parallelism = 0; ///< 0 means the environment's default.
  /// None for a source, one for most operators, two for connect and joins.
  std::vector<vertex_input> inputs;
  bool chainable = true; ///< May share a task with its input's operator.
  std::vector<consumer_ref> consumers;

  /// Builds this operator's part for one subtask, emitting into `out.main`
  /// (a collector of this vertex's output type; empty for sinks) and, for
  /// operators with a side output (late data), `out.side`.
  std::function<std::unique_ptr<part>(const subtask_info&, const part_outputs& out)> make_part;
  /// Copies every output record to several collectors of the output type.
  std::function<std::unique_ptr<part>(std::vector<erased_collector>)> make_fanout;
  /// The same for the side output's type (operators with a side output).
  std::function<std::unique_ptr<part>(std::vector<erased_collector>)> make_side_fanout;
  /// Side outputs read through output tags (port first_tag_port + index).
  std::vector<tagged_output> tagged_outputs;
};

/// A whole job as the user built it. Copyable; immutable once executed.
struct job_graph {
  std::string name;
  uint32_t default_parallelism = 1;
  bool chaining = false;
  uint32_t max_parallelism = default_max_parallelism;
  std::vector<vertex> vertices;
  /// Set when built through the job registry: lets nodes rebuild this graph.
  std::string registered_job;
  std::map<std::string, std::string> job_args;
  /// The user's version of the job (environment::set_job_version), kept in savepoints.
  std::string version;
};

} // namespace detail
} // namespace weir
