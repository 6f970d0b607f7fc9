// Integration tests: bench over HTTPS against mock-llm serving TLS with a CA the test creates:
// verified runs (-ca-file, SSL_CERT_FILE), keep-alive reuse, overhead mode through the proxy with
// an HTTPS upstream (-direct auto), and certificate failures (unknown CA, wrong CA, host name
// mismatch) that exit 2 with one line and write nothing.
#include "tests/integration/loadgen_support.hpp"
#include "tests/integration/proxy_stack.hpp"
#include "tests/support/tls_client.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

using namespace loadgen_test;
using nlohmann::json;

namespace {

// A test CA, a server certificate it signed for IP 127.0.0.1 only (no DNS name, so "localhost"
// does not match), and a second CA that signed nothing. Made once per test process.
struct pki
{
    std::string dir, ca, other_ca, cert, key;
    bool ok = false;
};

const pki& test_pki()
{
    static const pki p = [] {
        pki k;
        auto dir = std::filesystem::temp_directory_path() / ("lgb-tls-" + std::to_string(::getpid()));
        std::filesystem::create_directories(dir);
        k.dir = dir.string();
        k.ca = k.dir + "/ca.pem";
        k.other_ca = k.dir + "/other.pem";
        k.cert = k.dir + "/srv.pem";
        k.key = k.dir + "/srv.key";
        const std::string ec = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
        std::string cmd =
            "cd " + k.dir + " && openssl req -x509 " + ec +
            " -keyout ca.key -out ca.pem -days 2 -subj '/CN=bench test CA' >/dev/null 2>&1 && "
            "openssl req -x509 " +
            ec +
            " -keyout other.key -out other.pem -days 2 -subj '/CN=other CA' >/dev/null 2>&1 && "
            "openssl req " +
            ec +
            " -keyout srv.key -out srv.csr -subj '/CN=127.0.0.1' >/dev/null 2>&1 && "
            "printf 'subjectAltName=IP:127.0.0.1\\n' > ext.cnf && "
            "openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out srv.pem "
            "-days 2 -extfile ext.cnf >/dev/null 2>&1";
        k.ok = std::system(cmd.c_str()) == 0;
        return k;
    }();
    // Removes the files when the test process exits.
    static const struct cleanup
    {
        std::string dir;
        ~cleanup()
        {
            std::error_code ec;
            std::filesystem::remove_all(dir, ec);
        }
    } guard{p.dir};
    return p;
}

struct tls_mock
{
    mock_server m;
    explicit tls_mock(std::vector<std::string> args = {})
        : m(start_mock([&] {
              args.insert(args.end(), {"--tls-cert", test_pki().cert, "--tls-key", test_pki().key});
              return args;
          }()))
    {}
    std::string url(const std::string& host = "127.0.0.1",
                    const std::string& path = "/v1/chat/completions") const
    {
        return "https://" + host + ":" + std::to_string(m.port) + path;
    }
};

// GET /stats over TLS (no verification needed: the test made the certificate).
json tls_stats(std::uint16_t port)
{
    auto out =
        test_support::tls_raw_request(port, "GET /stats HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    auto body = out.find("\r\n\r\n");
    return body == std::string::npos ? json(nullptr) : json::parse(out.substr(body + 4), nullptr, false);
}

void expect_tls_rejected(const std::vector<std::string>& args, const std::string& needle,
                         const std::vector<std::pair<std::string, std::string>>& env = {})
{
    auto out = temp_file("tls_rejected.json");
    auto a = args;
    a.insert(a.end(), {"-rate", "20", "-duration", "0.5", "-output", out, "-env-file", "/nonexistent"});
    auto r = run_bench(a, env, std::chrono::seconds(10));
    INFO(r.output);
    CHECK(r.exit_code == 2);
    CHECK(r.output.find(needle) != std::string::npos);
    CHECK(r.output.starts_with("bench: "));
    CHECK(std::count(r.output.begin(), r.output.end(), '\n') == 1);
    CHECK_FALSE(std::ifstream(out).good());
}

} // namespace

TEST_CASE("bench drives an HTTPS target verified with -ca-file or SSL_CERT_FILE", "[integration][loadgen]")
{
    const auto& p = test_pki();
    if (!p.ok) {
        FAIL("could not make the test certificates with the openssl command line tool "
             "(docker/install-deps.sh installs it)");
    }
    tls_mock mock;
    auto out = temp_file("tls.json");
    auto r = run_bench({"-url", mock.url(), "-ca-file", p.ca, "-rate", "100", "-duration", "0.5", "-output",
                        out, "-quiet", "-env-file", "/nonexistent"});
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    auto e = read_json(out)["url"];
    REQUIRE(e.is_object());
    CHECK(e["requests"] == 50);
    CHECK(e["success_rate"] == 100.0);
    CHECK(e["target"].get<std::string>().starts_with("https://127.0.0.1:"));
    CHECK(e["config"]["ca_file"] == p.ca);
    CHECK(e["baseline"]["succeeded"] == 10); // over TLS too, before the load
    auto stats = tls_stats(mock.m.port);
    CHECK(stats["requests"]["chat/completions"]["200"] == 50 + 10);

    // The system store as OpenSSL finds it: SSL_CERT_FILE names the CA instead of -ca-file.
    std::remove(out.c_str());
    r = run_bench({"-url", mock.url(), "-users", "2", "-duration", "0.5", "-output", out, "-quiet",
                   "-env-file", "/nonexistent"},
                  {{"SSL_CERT_FILE", p.ca}});
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    e = read_json(out)["url"];
    CHECK(e["success_rate"] == 100.0);
    CHECK(e["requests"].get<int>() > 50);
    // Keep-alive: the probe's connection, the baseline's one, one per user whatever the request
    // count, this /stats.
    auto before = stats["accepted_connections"].get<int>();
    stats = tls_stats(mock.m.port);
    CHECK(stats["accepted_connections"].get<int>() - before == 1 + 1 + 2 + 1);
    std::remove(out.c_str());
}

TEST_CASE("overhead mode with an HTTPS upstream: proxy vs direct (-direct auto)", "[integration][loadgen]")
{
    const auto& p = test_pki();
    if (!p.ok) {
        FAIL("could not make the test certificates with the openssl command line tool "
             "(docker/install-deps.sh installs it)");
    }
    tls_mock mock;
    auto upstream = mock.url("127.0.0.1", "/api/v1");
    proxy_test::proxy_proc proxy("openrouter", upstream, {"--ca-file", p.ca},
                                 {{"OPENROUTER_API_KEY", "sk-test"}});
    auto out = temp_file("tls_overhead.json");
    auto r = run_bench({"-provider", "openrouter", "-ca-file", p.ca, "-rate", "100", "-duration", "1",
                        "-window", "250ms", "-output", out, "-quiet", "-env-file", "/nonexistent"},
                       {{"OPENROUTER_PORT", std::to_string(proxy.port)},
                        {"OPENROUTER_UPSTREAM", upstream},
                        {"OPENROUTER_API_KEY", "sk-test"}});
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    CHECK(r.output.find("measuring the proxy alone") == std::string::npos);
    auto e = read_json(out)["openrouter"];
    REQUIRE(e.is_object());
    REQUIRE(e["direct"].is_object());
    CHECK(e["direct"]["target"] == upstream + "/chat/completions");
    CHECK(e["direct"]["requests"].get<int>() > 20);
    CHECK(e["direct"]["success_rate"] == 100.0);
    CHECK(e["requests"].get<int>() > 20);
    CHECK(e["success_rate"] == 100.0);
    REQUIRE(e["overhead"].is_object());
    CHECK(e["overhead"]["windows"].get<int>() >= 2);
    // Every request reached the mock: the proxy's (relayed over TLS) and bench's direct ones, each
    // side's ten sequential baseline requests included.
    REQUIRE(e["baseline"].is_object());
    REQUIRE(e["direct"]["baseline"].is_object());
    auto stats = tls_stats(mock.m.port);
    CHECK(stats["requests"]["chat/completions"]["200"] ==
          e["requests"].get<int>() + e["direct"]["requests"].get<int>() +
              e["baseline"]["requests"].get<int>() + e["direct"]["baseline"]["requests"].get<int>());
    std::remove(out.c_str());
}

TEST_CASE("overhead mode between a plain and an HTTPS target (-url, -direct https://)",
          "[integration][loadgen]")
{
    const auto& p = test_pki();
    if (!p.ok) {
        FAIL("could not make the test certificates with the openssl command line tool "
             "(docker/install-deps.sh installs it)");
    }
    auto slow = start_mock({"--latency", "5ms"});
    tls_mock fast;
    auto out = temp_file("tls_direct.json");
    auto r =
        run_bench({"-url", "http://127.0.0.1:" + std::to_string(slow.port) + "/v1/chat/completions",
                   "-direct", fast.url(), "-ca-file", p.ca, "-rate", "200", "-duration", "1.5", "-window",
                   "250ms", "-output", out, "-quiet", "-seed", "3", "-env-file", "/nonexistent"});
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    auto e = read_json(out)["url"];
    REQUIRE(e["overhead"].is_object());
    CHECK(e["overhead"]["p50_ms"]["value"].get<double>() == Approx(5.0).margin(1.5));
    CHECK(e["direct"]["requests"].get<int>() > 100);
    CHECK(e["direct"]["success_rate"] == 100.0);
    std::remove(out.c_str());
}

TEST_CASE("certificate failures exit 2 with one line and write nothing", "[integration][loadgen]")
{
    const auto& p = test_pki();
    if (!p.ok) {
        FAIL("could not make the test certificates with the openssl command line tool "
             "(docker/install-deps.sh installs it)");
    }
    tls_mock mock;
    // Not in the system store.
    expect_tls_rejected({"-url", mock.url()},
                        "certificate verify failed: unable to get local issuer certificate");
    // A CA that did not sign the server's certificate.
    expect_tls_rejected({"-url", mock.url(), "-ca-file", p.other_ca}, "certificate verify failed");
    // The right CA, but the certificate names 127.0.0.1 only.
    expect_tls_rejected({"-url", mock.url("localhost"), "-ca-file", p.ca}, "hostname mismatch");
    // Through -direct too.
    auto plain = start_mock();
    expect_tls_rejected({"-url", "http://127.0.0.1:" + std::to_string(plain.port) + "/v1/chat/completions",
                         "-direct", mock.url("localhost"), "-ca-file", p.ca},
                        "hostname mismatch");
    // A CA file that cannot be read.
    expect_tls_rejected({"-url", mock.url(), "-ca-file", p.dir + "/missing.pem"}, "-ca-file");
    // Plain HTTP to the TLS port gets no HTTP answer: no request succeeded, exit 2.
    expect_tls_rejected({"-url", mock.url().replace(0, 5, "http"), "-log-level", "error"},
                        "no request succeeded");
}
