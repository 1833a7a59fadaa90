// weir bench postgres: rows per second into PostgreSQL through the exactly-once
// postgres_sink (two-phase commit, checkpoints every second) against a plain
// libpq loop inserting the same rows in the same statements, committing every
// second, in one run against one server.

#include <libpq-fe.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench/connector_bench.hpp"
#include "cli_args.hpp"
#include "commands.hpp"
#include "weir/postgres.hpp"
#include "weir/stream.hpp"

namespace weir::apps {

namespace {

const char* usage = R"(usage: weir bench postgres --conninfo S [options]

Against the PostgreSQL that the libpq connection string S names (it needs
max_prepared_transactions > 0), in one run, alternating: a plain libpq loop
that inserts N rows (n, payload) into a table, 256 rows per INSERT, in a
transaction committed every second, and a Weir job writing the same rows
through the exactly-once postgres_sink at parallelism 1 (its 256-row
INSERTs, PREPARE TRANSACTION on each checkpoint's barrier, COMMIT PREPARED
when it completes; checkpoints every second). Each run checks the table
holds N rows. Prints a markdown table of median rows/s. Creates and drops
the table weir_bench_rows.

options:
  --conninfo S  libpq connection string, e.g. "host=127.0.0.1 port=5432
                dbname=postgres user=weir" (required)
  --records N   rows per run (default 200000)
  --runs K      runs of each (default 3)
  -h, --help    show this help
)";

using clock = std::chrono::steady_clock;
constexpr size_t rows_per_statement = 256; // what postgres_sink inserts at once
const char* table_name = "weir_bench_rows";

int usage_error(const std::string& message) {
  std::fprintf(stderr, "weir bench postgres: %s (try weir bench postgres --help)\n",
               message.c_str());
  return 2;
}

std::string payload() { return "some bytes of a record"; }

struct connection {
  std::unique_ptr<PGconn, void (*)(PGconn*)> c;
  explicit connection(const std::string& conninfo) : c(PQconnectdb(conninfo.c_str()), PQfinish) {
    if (PQstatus(c.get()) != CONNECTION_OK)
      throw std::runtime_error("cannot connect to PostgreSQL: " + error());
    exec("SET client_min_messages = warning"); // no NOTICE for DROP TABLE IF EXISTS
  }
  std::string error() const {
    std::string e = PQerrorMessage(c.get());
    while (!e.empty() && (e.back() == '\n' || e.back() == ' '))
      e.pop_back();
    return e;
  }
  /// Runs `sql` with text parameters; the first value of its first row ("" if none).
  std::string exec(const std::string& sql, const std::vector<const char*>& params = {}) {
    std::unique_ptr<PGresult, void (*)(PGresult*)> r(
        PQexecParams(c.get(), sql.c_str(), static_cast<int>(params.size()), nullptr,
                     params.data(), nullptr, nullptr, 0),
        PQclear);
    auto status = PQresultStatus(r.get());
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
      throw std::runtime_error(sql.substr(0, sql.find(' ')) + " failed: " + error());
    return PQntuples(r.get()) > 0 ? PQgetvalue(r.get(), 0, 0) : "";
  }
};

void recreate_table(connection& pg) {
  pg.exec(std::string("DROP TABLE IF EXISTS ") + table_name);
  pg.exec(std::string("CREATE TABLE ") + table_name + " (n bigint, payload text)");
}

void check_rows(connection& pg, uint64_t n, const char* who) {
  auto rows = pg.exec(std::string("SELECT count(*) FROM ") + table_name);
  if (rows != std::to_string(n))
    throw std::runtime_error(std::string(who) + " left " + rows + " rows, not " + std::to_string(n));
}

/// INSERT INTO table (n, payload) VALUES ($1, $2), ... for `rows` rows.
std::string insert_statement(size_t rows) {
  std::string sql = std::string("INSERT INTO ") + table_name + " (n, payload) VALUES ";
  for (size_t r = 0; r < rows; ++r)
    sql += (r ? ", ($" : "($") + std::to_string(2 * r + 1) + ", $" + std::to_string(2 * r + 2) + ")";
  return sql;
}

/// The plain loop: the rows in 256-row INSERTs, a transaction committed each second.
double plain_run(connection& pg, uint64_t n) {
  recreate_table(pg);
  auto start = clock::now();
  auto committed = start;
  std::vector<std::string> values;
  pg.exec("BEGIN");
  for (uint64_t i = 0; i < n;) {
    values.clear();
    for (; i < n && values.size() < 2 * rows_per_statement; ++i) {
      values.push_back(std::to_string(i));
      values.push_back(payload());
    }
    std::vector<const char*> params;
    for (const auto& v : values)
      params.push_back(v.c_str());
    pg.exec(insert_statement(values.size() / 2), params);
    if (clock::now() - committed >= std::chrono::seconds(1)) {
      pg.exec("COMMIT");
      pg.exec("BEGIN");
      committed = clock::now();
    }
  }
  pg.exec("COMMIT");
  auto rate = static_cast<double>(n) / std::chrono::duration<double>(clock::now() - start).count();
  check_rows(pg, n, "the plain loop");
  return rate;
}

double weir_run(connection& pg, const std::string& conninfo, uint64_t n,
                const std::string& state_dir) {
  recreate_table(pg);
  std::filesystem::remove_all(state_dir);
  postgres_sink_options out;
  out.conninfo = conninfo;
  out.table = table_name;
  out.columns = {"n", "payload"};
  environment env;
  env.set_parallelism(1);
  env.options().checkpoints.interval_ms = 1000;
  env.options().checkpoints.state_dir = state_dir;
  env.generate(n, [](uint64_t i) { return postgres_row{std::to_string(i), payload()}; })
      .uid("rows")
      .sink(postgres_sink(out))
      .uid("out");
  auto start = clock::now();
  auto result = env.execute("bench-postgres");
  if (!result.ok()) throw std::runtime_error(result.failure.to_string());
  auto rate = static_cast<double>(n) / std::chrono::duration<double>(clock::now() - start).count();
  check_rows(pg, n, "the Weir job");
  return rate;
}

} // namespace

int bench_postgres_command(int argc, char** argv, int first) {
  auto args = parse_cli(argc, argv, first, {"conninfo", "records", "runs"});
  if (!args) return usage_error(args.error_value().message());
  if (args->help) {
    std::fputs(usage, stdout);
    return 0;
  }
  if (!args->positional.empty()) return usage_error("unexpected '" + args->positional[0] + "'");
  if (!args->has("conninfo"))
    return usage_error("weir bench postgres needs --conninfo (a running PostgreSQL)");
  auto conninfo = args->get("conninfo", "");
  auto n = args->get_number("records", 200000, 1, 100000000);
  auto runs = args->get_number("runs", 3, 1, 100);
  for (auto* e : {&n, &runs})
    if (!*e) return usage_error(e->error_value().message());
  bench::connector_table table{
      "rows/s, plain libpq loop", "rows/s, Weir job (exactly once, 2PC, checkpoints 1 s)",
      "rows -> PostgreSQL table, " + std::to_string(*n) + " rows"};
  return bench::run_connector_bench("postgres", table, [&](auto& plain, auto& job, const std::string& state) {
    connection pg(conninfo);
    if (pg.exec("SHOW max_prepared_transactions") == "0")
      throw std::runtime_error("the server has max_prepared_transactions = 0; the exactly-once "
                               "sink needs it above 0 (start it with -c "
                               "max_prepared_transactions=20)");
    for (uint64_t r = 0; r < *runs; ++r) {
      plain.push_back(plain_run(pg, *n));
      job.push_back(weir_run(pg, conninfo, *n, state));
    }
    pg.exec(std::string("DROP TABLE ") + table_name);
  });
}

} // namespace weir::apps
