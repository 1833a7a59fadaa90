#pragma once

/// \file
/// PostgreSQL: an exactly-once sink (two-phase commit with PREPARE
/// TRANSACTION) and an idempotent upsert sink. Target `weir::postgres`
/// (library weir_postgres, links libpq); the core library links no
/// PostgreSQL client.

#include <cstdint>
#include <string>
#include <vector>

#include "weir/functions.hpp"

namespace weir {

/// One row: a text value per column, in the order of the sink's columns
/// (PostgreSQL converts each to its column's type).
using postgres_row = std::vector<std::string>;

/// Where postgres_sink writes, and how.
struct postgres_sink_options {
  /// A libpq connection string: "host=127.0.0.1 port=5432 dbname=app user=weir".
  std::string conninfo;
  /// The table rows go to (it must exist), and its columns the rows fill.
  std::string table;
  std::vector<std::string> columns; ///< The columns a row's values fill, in order.
  /// Empty: exactly once, by two-phase commit (the server needs
  /// max_prepared_transactions > 0). Non-empty: upsert on these columns (a
  /// unique key): each row inserted, or updating the row with its key;
  /// idempotent, written at once, no transaction held open.
  std::vector<std::string> upsert_keys;
  /// A connection that fails is opened again with backoff (100 ms doubling
  /// to 5 s); after this long without the server the subtask fails, naming
  /// the server, and the job restarts from its latest checkpoint.
  uint32_t reconnect_timeout_ms = 30000;
};

/// Writes rows to a PostgreSQL table. Exactly once (no upsert_keys): the
/// rows of a checkpoint interval are inserted in one transaction that is
/// prepared on the barrier (`PREPARE TRANSACTION 'weir:UID:SUBTASK:EPOCH:N'`)
/// and committed (`COMMIT PREPARED`) when the checkpoint completes; a reader
/// at READ COMMITTED never sees rows of an uncommitted checkpoint. A restore
/// commits the prepared transactions the checkpoint holds and rolls back the
/// subtask's others (found by name in pg_prepared_xacts), as does a restart
/// before any checkpoint completed. At most 256 rows wait in memory before
/// they are inserted. Errors: no conninfo, table or columns throw
/// std::invalid_argument here; a row with the wrong number of values, a
/// statement the server refuses, or a server unreachable beyond
/// reconnect_timeout_ms fail the subtask naming the server and what failed.
sink_factory<postgres_row> postgres_sink(postgres_sink_options options);

} // namespace weir
