#pragma once

namespace weir::apps {

/// The weir binary's own commands (weir::main serves the rest). Each
/// returns the process exit code: 0 on success, 1 when the job failed, 2 on
/// bad usage. argv[first] is the first word after the command's name.
int bench_command(int argc, char** argv, int first);
int nexmark_command(int argc, char** argv, int first);
/// weir bench checkpoint (argv[first] is the first word after "checkpoint").
int bench_checkpoint_command(int argc, char** argv, int first);
/// weir bench nodes (argv[first] is the first word after "nodes").
int bench_nodes_command(int argc, char** argv, int first);
int bench_metrics_command(int argc, char** argv, int first);
int bench_redis_command(int argc, char** argv, int first);
int bench_kafka_command(int argc, char** argv, int first);
int bench_postgres_command(int argc, char** argv, int first);
/// weir bench nexmark (argv[first] is the first word after "nexmark").
int bench_nexmark_command(int argc, char** argv, int first);

} // namespace weir::apps
