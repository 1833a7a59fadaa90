// TLS between coordinator and nodes (issue 9): certificates signed by the
// configured CA on every endpoint; a node or coordinator without one is
// refused at the handshake. Certificates are made here with the openssl CLI.

#include <catch2/catch.hpp>

#include <map>
#include <random>

#include "jobs/wordcount.hpp"
#include "support/node_process.hpp"
#include "support/process.hpp"
#include "support/text.hpp"
#include "weir/job_registry.hpp"
#include "weir/stream.hpp"

using namespace weir;

namespace {

/// A CA, certificates it signed for `names`, and one self-signed "stranger".
struct certificates {
  test::temp_dir dir;

  explicit certificates(const std::vector<std::string>& names) {
    openssl({"req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key("ca"), "-out", cert("ca"), "-days", "2",
             "-subj", "/CN=weir-test-ca"});
    for (const auto& n : names) {
      openssl({"req", "-newkey", "rsa:2048", "-nodes", "-keyout", key(n), "-out", dir.file(n + ".csr"), "-subj",
               "/CN=" + n});
      openssl({"x509", "-req", "-in", dir.file(n + ".csr"), "-CA", cert("ca"), "-CAkey", key("ca"),
               "-CAcreateserial", "-out", cert(n), "-days", "2"});
    }
    openssl({"req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key("stranger"), "-out", cert("stranger"),
             "-days", "2", "-subj", "/CN=stranger"});
  }
  std::string cert(const std::string& n) const { return dir.file(n + ".pem"); }
  std::string key(const std::string& n) const { return dir.file(n + ".key"); }
  /// `weir node` arguments for TLS as `n`.
  std::vector<std::string> node_args(const std::string& n) const {
    return {"--tls-cert", cert(n), "--tls-key", key(n), "--tls-ca", cert("ca")};
  }

private:
  void openssl(std::vector<std::string> args) {
    args.insert(args.begin(), "/usr/bin/openssl"); // .ci/install-deps installs it
    auto r = test::run_command(args, 60000);
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
  }
};

/// Word count on `nodes`, as the coordinator certificate of `tls` (none: no TLS).
job_result run_wordcount(const std::vector<std::string>& nodes, const std::string& input, const std::string& output,
                         const certificates* tls) {
  return test::run_wordcount_on(nodes, input, output, [tls](runtime_options& o) {
    o.node_connect_timeout_ms = 5000;
    if (!tls) return;
    o.tls_certificate = tls->cert("coordinator");
    o.tls_key = tls->key("coordinator");
    o.tls_ca = tls->cert("ca");
  });
}

} // namespace

TEST_CASE("with TLS a job runs on nodes whose certificates the CA signed, and every other peer is refused",
          "[integration][remote][tls]") {
  certificates certs({"node-a", "node-b", "coordinator"});
  test::node_process a(certs.node_args("node-a"));
  test::node_process b(certs.node_args("node-b"));
  test::temp_dir dir;
  std::mt19937_64 rng(53);
  auto text = test::random_text(rng, 3000);
  test::write_file(dir.file("in.txt"), text);

  SECTION("trusted nodes, trusted coordinator: the job runs") {
    auto result = run_wordcount({a.address, b.address}, dir.file("in.txt"), dir.file("out"), &certs);
    INFO(result.failure.to_string());
    REQUIRE(result.ok());
    test::check_word_counts(dir.file("out"), text);
    CHECK_THAT(a.log(), Catch::Contains("TLS"));
  }
  SECTION("a node whose certificate another CA signed is refused at the handshake") {
    auto stranger_args = certs.node_args("stranger");
    test::node_process stranger(stranger_args);
    auto result = run_wordcount({a.address, stranger.address}, dir.file("in.txt"), dir.file("out"), &certs);
    REQUIRE_FALSE(result.ok());
    CHECK(result.failure.code() == errc::unreachable);
    CHECK_THAT(result.failure.message(), Catch::Contains("cannot reach node " + stranger.address)
                                           && Catch::Contains("certificate signed by"));
  }
  SECTION("a coordinator without TLS is refused by a TLS node") {
    auto result = run_wordcount({a.address}, dir.file("in.txt"), dir.file("out"), nullptr);
    REQUIRE_FALSE(result.ok());
    CHECK(result.failure.code() == errc::unreachable);
    CHECK_THAT(result.failure.message(), Catch::Contains(a.address));
  }
}

TEST_CASE("TLS options that are incomplete or unreadable are usage errors", "[integration][cli][tls]") {
  test::temp_dir dir;
  auto node = test::run_command({WEIR_CLI, "node", "--tls-cert", dir.file("missing.pem")});
  CHECK(node.exit_code == 2);
  CHECK_THAT(node.output, Catch::Contains("--tls-cert, --tls-key and --tls-ca go together"));
  test::write_file(dir.file("c.pem"), "x");
  auto unreadable = test::run_command({WEIR_CLI, "node", "--tls-cert", dir.file("c.pem"), "--tls-key",
                                       dir.file("nope.key"), "--tls-ca", dir.file("c.pem")});
  CHECK(unreadable.exit_code == 2);
  CHECK_THAT(unreadable.output, Catch::Contains("--tls-key") && Catch::Contains("nope.key"));
  auto run = test::run_command({WEIR_CLI, "run", "wordcount", "--tls-cert", dir.file("c.pem"), "--tls-key",
                                dir.file("c.pem"), "--tls-ca", dir.file("c.pem")});
  CHECK(run.exit_code == 2);
  CHECK_THAT(run.output, Catch::Contains("--tls-cert goes with --nodes"));
}
