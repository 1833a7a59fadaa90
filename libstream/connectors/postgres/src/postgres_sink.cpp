// The PostgreSQL sink: rows inserted in a transaction per checkpoint
// interval, prepared on the barrier and committed when the checkpoint
// completes; or upserted at once.

#include <libpq-fe.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <random>
#include <stdexcept>
#include <thread>

#include "weir/postgres.hpp"

namespace weir {

namespace {

using clock = std::chrono::steady_clock;

struct pg_deleter {
  void operator()(PGconn* c) const noexcept { PQfinish(c); }
};
struct result_deleter {
  void operator()(PGresult* r) const noexcept { PQclear(r); }
};
using connection = std::unique_ptr<PGconn, pg_deleter>;
using result = std::unique_ptr<PGresult, result_deleter>;

/// "server 127.0.0.1:5432" as libpq understood the conninfo.
std::string server_of(PGconn* c) {
  if (!c) return "server";
  return std::string("PostgreSQL at ") + (PQhost(c) ? PQhost(c) : "?") + ":"
         + (PQport(c) ? PQport(c) : "?");
}

std::string quoted_name(const std::string& name) {
  std::string out = "\"";
  for (char ch : name)
    out += ch == '"' ? std::string("\"\"") : std::string(1, ch);
  return out + "\"";
}

class pg_sink final : public sink_function<postgres_row> {
public:
  explicit pg_sink(postgres_sink_options o) : options_(std::move(o)) {}

  void open(const subtask_info& info) override {
    who_ = "postgres sink '" + info.name() + "'";
    prefix_ = "weir:" + info.uid + ":";
    index_ = info.index;
    epoch_ = std::to_string(std::random_device{}()) + std::to_string(std::random_device{}());
    writer_ = connect();
  }

  void write(const postgres_row& row) override {
    if (row.size() != options_.columns.size())
      throw std::runtime_error(who_ + ": a row of " + std::to_string(row.size()) + " values for "
                               + std::to_string(options_.columns.size()) + " columns");
    pending_.push_back(row);
    if (pending_.size() >= max_pending) flush();
  }

  bool transactional() const override { return options_.upsert_keys.empty(); }

  std::string pre_commit() override {
    flush();
    if (!in_transaction_) return {};
    auto gid = gid_of(index_, number_++);
    exec(writer_.get(), "PREPARE TRANSACTION '" + gid + "'");
    in_transaction_ = false;
    return gid;
  }

  void commit(const std::string& gid) override {
    if (gid.rfind(prefix_, 0) != 0)
      throw std::runtime_error(who_ + ": '" + gid + "' is not one of its transactions");
    // A second connection: the writer may be inside the next interval's transaction.
    with_admin([&](PGconn* c) {
      result r(PQexec(c, ("COMMIT PREPARED '" + gid + "'").c_str()));
      auto status = PQresultStatus(r.get());
      // Committed already (a commit repeated after a restore): nothing to do.
      if (status != PGRES_COMMAND_OK && !undefined_object(r.get()))
        fail(c, "COMMIT PREPARED", r.get());
    });
  }

  void recover(const std::vector<std::string>& pre_committed) override {
    discarded_ = true;
    for (const auto& gid : pre_committed)
      commit(gid);
    roll_back_orphans();
  }

  void end_of_input() override { flush(); }

private:
  static constexpr size_t max_pending = 256;

  std::string gid_of(uint32_t index, uint64_t n) const {
    return prefix_ + std::to_string(index) + ":" + epoch_ + ":" + std::to_string(n);
  }

  static bool undefined_object(PGresult* r) {
    const char* state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    return state && std::string(state) == "42704"; // prepared transaction does not exist
  }

  [[noreturn]] void fail(PGconn* c, const std::string& what, PGresult* r) {
    std::string why = r ? PQresultErrorMessage(r) : PQerrorMessage(c);
    while (!why.empty() && (why.back() == '\n' || why.back() == ' '))
      why.pop_back();
    throw std::runtime_error(who_ + ": " + server_of(c) + " refused " + what + ": " + why);
  }

  /// Fails the subtask unless `r` succeeded: a lost connection restarts the
  /// job (an open transaction's rows are gone), a refusal names `what`.
  void check(PGconn* c, PGresult* r, const std::string& what) {
    auto status = PQresultStatus(r);
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return;
    if (PQstatus(c) == CONNECTION_BAD)
      throw std::runtime_error(who_ + ": lost " + server_of(c) + " during " + what
                               + "; the job restarts from its latest checkpoint");
    fail(c, what, r);
  }

  void exec(PGconn* c, const std::string& sql) {
    result r(PQexec(c, sql.c_str()));
    check(c, r.get(), sql.substr(0, sql.find(' ')));
  }

  /// A connection, retried with backoff up to reconnect_timeout_ms.
  connection connect() {
    auto deadline = clock::now() + std::chrono::milliseconds(options_.reconnect_timeout_ms);
    auto backoff = std::chrono::milliseconds(100);
    for (;;) {
      connection c(PQconnectdb(options_.conninfo.c_str()));
      if (c && PQstatus(c.get()) == CONNECTION_OK) return c;
      std::string why = c ? PQerrorMessage(c.get()) : "out of memory";
      while (!why.empty() && (why.back() == '\n' || why.back() == ' '))
        why.pop_back();
      if (clock::now() + backoff > deadline)
        throw std::runtime_error(who_ + ": " + server_of(c.get()) + " unreachable for "
                                 + std::to_string(options_.reconnect_timeout_ms) + " ms: " + why);
      std::this_thread::sleep_for(backoff); // the sink cannot go on without it: its backpressure
      backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
    }
  }

  /// Runs `fn` on the admin connection, opening it again once if it was lost.
  template <class F> void with_admin(F fn) {
    if (!admin_ || PQstatus(admin_.get()) != CONNECTION_OK) admin_ = connect();
    fn(admin_.get());
  }

  /// Rolls back this subtask's prepared transactions that no completed
  /// checkpoint holds (recover committed those it holds).
  void roll_back_orphans() {
    with_admin([&](PGconn* c) {
      std::string like = prefix_ + std::to_string(index_) + ":%";
      const char* params[] = {like.c_str()};
      result r(PQexecParams(c, "SELECT gid FROM pg_prepared_xacts WHERE gid LIKE $1", 1, nullptr,
                            params, nullptr, nullptr, 0));
      if (PQresultStatus(r.get()) != PGRES_TUPLES_OK)
        fail(c, "SELECT FROM pg_prepared_xacts", r.get());
      for (int i = 0; i < PQntuples(r.get()); ++i) {
        result rb(PQexec(
            c, ("ROLLBACK PREPARED '" + std::string(PQgetvalue(r.get(), i, 0)) + "'").c_str()));
        if (PQresultStatus(rb.get()) != PGRES_COMMAND_OK && !undefined_object(rb.get()))
          fail(c, "ROLLBACK PREPARED", rb.get());
      }
    });
  }

  /// Inserts the pending rows: one statement, values as parameters.
  void flush() {
    if (!discarded_ && transactional()) {
      discarded_ = true;
      roll_back_orphans(); // nothing committed yet: every prepared transaction of this subtask is
                           // stale
    }
    if (pending_.empty()) return;
    if (transactional() && !in_transaction_) {
      exec(writer_.get(), "BEGIN");
      in_transaction_ = true;
    }
    if (!options_.upsert_keys.empty()) keep_last_per_key();
    std::string sql = "INSERT INTO " + quoted_name(options_.table) + " (";
    for (size_t c = 0; c < options_.columns.size(); ++c)
      sql += (c ? ", " : "") + quoted_name(options_.columns[c]);
    sql += ") VALUES ";
    std::vector<const char*> values;
    size_t n = 0;
    for (size_t r = 0; r < pending_.size(); ++r) {
      sql += r ? ", (" : "(";
      for (size_t c = 0; c < options_.columns.size(); ++c) {
        sql += (c ? ", $" : "$") + std::to_string(++n);
        values.push_back(pending_[r][c].c_str());
      }
      sql += ")";
    }
    if (!options_.upsert_keys.empty()) {
      sql += " ON CONFLICT (";
      for (size_t k = 0; k < options_.upsert_keys.size(); ++k)
        sql += (k ? ", " : "") + quoted_name(options_.upsert_keys[k]);
      sql += ") DO UPDATE SET ";
      bool first = true;
      for (const auto& col : options_.columns) {
        sql += (first ? "" : ", ") + quoted_name(col) + " = EXCLUDED." + quoted_name(col);
        first = false;
      }
    }
    result r(PQexecParams(writer_.get(), sql.c_str(), static_cast<int>(values.size()), nullptr,
                          values.data(), nullptr, nullptr, 0));
    pending_.clear();
    check(writer_.get(), r.get(), "INSERT INTO " + options_.table);
  }

  /// One statement may not upsert a key twice: of the pending rows with one
  /// key, the last wins (as it would have, written one by one).
  void keep_last_per_key() {
    std::vector<size_t> key_at;
    for (const auto& k : options_.upsert_keys)
      for (size_t c = 0; c < options_.columns.size(); ++c)
        if (options_.columns[c] == k) key_at.push_back(c);
    std::map<std::vector<std::string>, size_t> last;
    for (size_t r = 0; r < pending_.size(); ++r) {
      std::vector<std::string> key;
      for (auto c : key_at)
        key.push_back(pending_[r][c]);
      last[key] = r;
    }
    std::vector<postgres_row> kept;
    for (size_t r = 0; r < pending_.size(); ++r) {
      std::vector<std::string> key;
      for (auto c : key_at)
        key.push_back(pending_[r][c]);
      if (last[key] == r) kept.push_back(std::move(pending_[r]));
    }
    pending_ = std::move(kept);
  }

  postgres_sink_options options_;
  std::string who_;
  std::string prefix_;
  uint32_t index_ = 0;
  std::string epoch_;
  connection writer_;
  connection admin_;
  std::vector<postgres_row> pending_; // at most max_pending
  bool in_transaction_ = false;
  bool discarded_ = false; // stale prepared transactions of earlier attempts rolled back
  uint64_t number_ = 0;
};

} // namespace

sink_factory<postgres_row> postgres_sink(postgres_sink_options options) {
  if (options.conninfo.empty()) throw std::invalid_argument("postgres_sink: no conninfo given");
  if (options.table.empty()) throw std::invalid_argument("postgres_sink: no table given");
  if (options.columns.empty()) throw std::invalid_argument("postgres_sink: no columns given");
  for (const auto& k : options.upsert_keys)
    if (std::find(options.columns.begin(), options.columns.end(), k) == options.columns.end())
      throw std::invalid_argument("postgres_sink: upsert key '" + k
                                  + "' is not one of the columns");
  return [options] { return std::make_unique<pg_sink>(options); };
}

} // namespace weir
