#include "support/postgres_server.hpp"

#include <libpq-fe.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <thread>

#include "support/servers.hpp"

namespace weir::test {

namespace {

const char* bin = "/usr/lib/postgresql/15/bin/";

/// argv run as the postgres user (setpriv execs: the pid stays the server's).
/// Changing user clears the parent-death signal child_process set, so
/// setpriv sets it again: the server dies with the test process, even one
/// that crashes.
std::vector<std::string> as_postgres(std::vector<std::string> argv) {
  std::vector<std::string> out{"/usr/bin/setpriv", "--reuid=postgres", "--regid=postgres",
                               "--init-groups", "--pdeathsig", "KILL", "--"};
  out.insert(out.end(), argv.begin(), argv.end());
  return out;
}

} // namespace

postgres_server::postgres_server() : port_(free_port()) {
  auto* pw = ::getpwnam("postgres");
  if (!pw) throw std::runtime_error("postgres_server: no postgres user (is postgresql installed?)");
  ::chmod(dir_.path().c_str(), 0755);
  std::filesystem::create_directories(dir_.file("data"));
  if (::chown(dir_.file("data").c_str(), pw->pw_uid, pw->pw_gid) != 0)
    throw std::runtime_error("postgres_server: cannot chown its data directory");
  auto init = run_command(as_postgres({std::string(bin) + "initdb", "-D", dir_.file("data"), "-A",
                                       "trust", "-U", "weir"}),
                          120000);
  if (init.exit_code != 0)
    throw std::runtime_error("postgres_server: initdb failed: " + init.output);
  start();
}

void postgres_server::start() {
  process_ = std::make_unique<child_process>(
      as_postgres({std::string(bin) + "postgres", "-D", dir_.file("data"), "-p",
                   std::to_string(port_), "-k", dir_.file("data"), "-c",
                   "listen_addresses=127.0.0.1", "-c", "max_prepared_transactions=20", "-c",
                   "fsync=off"}),
      dir_.file("server.log"));
}

bool postgres_server::ready(int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  do {
    if (query("SELECT 1")) return true;
    std::this_thread::sleep_for(
        std::chrono::milliseconds(100)); // readiness is only known by asking
  } while (std::chrono::steady_clock::now() < deadline);
  return false;
}

void postgres_server::restart() {
  process_.reset(); // SIGKILL to the postmaster; its backends exit when they notice
  start();
  // A new postmaster exits at once while a killed one's backends still hold its
  // shared memory ("pre-existing shared memory block is still in use"), so it
  // is started again until one stays up and answers.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!query("SELECT 1") && std::chrono::steady_clock::now() < deadline)
    if (process_->wait(100)) start();
}

std::string postgres_server::conninfo() const {
  return "host=127.0.0.1 port=" + std::to_string(port_)
         + " dbname=postgres user=weir connect_timeout=2";
}

std::optional<std::vector<std::vector<std::string>>> postgres_server::query(const std::string& sql,
                                                                            std::string* error) {
  std::unique_ptr<PGconn, void (*)(PGconn*)> c(PQconnectdb(conninfo().c_str()), PQfinish);
  if (PQstatus(c.get()) != CONNECTION_OK) {
    if (error) *error = PQerrorMessage(c.get());
    return std::nullopt;
  }
  std::unique_ptr<PGresult, void (*)(PGresult*)> r(PQexec(c.get(), sql.c_str()), PQclear);
  auto status = PQresultStatus(r.get());
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
    if (error) *error = PQresultErrorMessage(r.get());
    return std::nullopt;
  }
  std::vector<std::vector<std::string>> rows;
  for (int i = 0; i < PQntuples(r.get()); ++i) {
    rows.emplace_back();
    for (int j = 0; j < PQnfields(r.get()); ++j)
      rows.back().emplace_back(PQgetvalue(r.get(), i, j));
  }
  return rows;
}

} // namespace weir::test
