// proxy operations: /readyz checks each upstream as the data path connects to it (TCP, then the
// TLS handshake with SNI and verification), concurrently and bounded; the optional access log.
#include "tests/integration/proxy_stack.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>

using namespace proxy_test;
using test_support::http_request;

namespace {

// A temporary directory with a test CA, a server certificate it signed (localhost, 127.0.0.1)
// and a second CA that signed nothing the server presents.
struct test_pki
{
    std::filesystem::path dir;
    std::string ca, wrong_ca, cert, key;
    test_pki()
    {
        static int seq = 0;
        dir = std::filesystem::temp_directory_path() /
              ("proxy-readyz-" + std::to_string(::getpid()) + "-" + std::to_string(seq++));
        std::filesystem::create_directories(dir);
        auto d = dir.string();
        const std::string ec = "openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes ";
        std::string cmd =
            "cd " + d + " && " + ec + "-x509 -keyout ca.key -out ca.pem -days 2 -subj '/CN=test CA' && " +
            ec + "-x509 -keyout wrong.key -out wrong.pem -days 2 -subj '/CN=test CA' && " + ec +
            "-keyout srv.key -out srv.csr -subj '/CN=localhost' && "
            "printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\n' > ext.cnf && "
            "openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out srv.pem "
            "-days 2 -extfile ext.cnf";
        cmd = "(" + cmd + ") >/dev/null 2>&1";
        if (std::system(cmd.c_str()) != 0)
            throw std::runtime_error("openssl could not create the test certificates");
        ca = d + "/ca.pem";
        wrong_ca = d + "/wrong.pem";
        cert = d + "/srv.pem";
        key = d + "/srv.key";
    }
    ~test_pki()
    {
        std::error_code ignored;
        std::filesystem::remove_all(dir, ignored);
    }
};

// A port that completes TCP handshakes (the kernel's backlog) but never reads nor answers: a TLS
// client hangs in its handshake.
struct silent_listener
{
    std::uint16_t port = 0;
    int fd = listen_loopback(port);
    silent_listener() = default;
    ~silent_listener() { ::close(fd); }
    silent_listener(const silent_listener&) = delete;
};

nlohmann::json upstream_state(const test_support::http_reply& r, const std::string& provider)
{
    auto j = nlohmann::json::parse(r.body);
    INFO(r.body);
    REQUIRE(j["upstreams"].contains(provider));
    return j["upstreams"][provider];
}

// `--provider NAME --port NAME=0 --upstream NAME=URL` for an extra provider of one proxy.
std::vector<std::string> extra_provider(const std::string& name, const std::string& upstream)
{
    return {"--provider", name, "--port", name + "=0", "--upstream", name + "=" + upstream};
}

// The port of `listening <name> addr:port` among the lines the proxy printed.
std::uint16_t listening_port(test_support::child_process& proc, const std::string& name)
{
    std::istringstream in(proc.stdout_text());
    for (std::string line; std::getline(in, line);)
        if (line.rfind("listening " + name + " ", 0) == 0)
            return static_cast<std::uint16_t>(std::stoul(line.substr(line.rfind(':') + 1)));
    FAIL("no listening line for " << name);
    return 0;
}

std::string read_file(const std::string& path)
{
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

std::vector<std::string> access_lines(const std::string& log)
{
    std::vector<std::string> out;
    std::istringstream in(log);
    for (std::string line; std::getline(in, line);)
        if (line.find("] access ") != std::string::npos)
            out.push_back(line);
    return out;
}

std::string temp_log_path(const std::string& tag)
{
    return (std::filesystem::temp_directory_path() /
            ("proxy-" + tag + "-" + std::to_string(::getpid()) + ".log"))
        .string();
}

const std::string client_key = "sk-client-FAKEKEY-7c1e9a";
const std::string master_key = "sk-master-FAKEKEY-42b0d3";

} // namespace

TEST_CASE("readyz: a TLS upstream is ready only when its handshake verifies", "[integration][proxy]")
{
    test_pki pki;
    mock m({"--tls-cert", pki.cert, "--tls-key", pki.key});
    auto url = "https://localhost:" + std::to_string(m.port) + "/v1";
    {
        proxy_proc p("openrouter", url, {"--ca-file", pki.ca}, {{"OPENROUTER_API_KEY", client_key}});
        auto r = http_request(p.admin, {.target = "/readyz"});
        CHECK(r.status == 200);
        auto s = upstream_state(r, "openrouter");
        CHECK(s["ready"] == true);
        CHECK(s["scheme"] == "https");
        CHECK(nlohmann::json::parse(r.body)["status"] == "ready");
        CHECK(http_request(p.port, {.target = "/v1/models"}).status == 200); // the data path agrees
    }
    {
        proxy_proc p("openrouter", url, {"--ca-file", pki.wrong_ca}, {{"OPENROUTER_API_KEY", client_key}});
        auto r = http_request(p.admin, {.target = "/readyz"});
        CHECK(r.status == 503);
        auto s = upstream_state(r, "openrouter");
        CHECK(s["ready"] == false);
        CHECK(s["failed"] == "tls");
        CHECK(s["error"].get<std::string>().find("certificate") != std::string::npos);
        CHECK(r.body.find(client_key) == std::string::npos);
        CHECK(http_request(p.port, {.target = "/v1/models"}).status == 502); // the data path agrees
    }
}

TEST_CASE("readyz: a refused port fails at connect", "[integration][proxy]")
{
    test_pki pki;
    mock m({"--tls-cert", pki.cert, "--tls-key", pki.key});
    auto refused = std::to_string(closed_port());
    proxy_proc p("openrouter", "https://localhost:" + std::to_string(m.port) + "/v1",
                 {"--ca-file", pki.ca,
                  // an HTTPS and an HTTP upstream that refuse, next to one that is ready
                  "--provider", "braintrust", "--port", "braintrust=0", "--upstream",
                  "braintrust=https://127.0.0.1:" + refused + "/v1", "--provider", "bifrost", "--port",
                  "bifrost=0", "--upstream", "bifrost=http://127.0.0.1:" + refused + "/v1"});
    auto r = http_request(p.admin, {.target = "/readyz"});
    CHECK(r.status == 503);
    CHECK(nlohmann::json::parse(r.body)["status"] == "not_ready");
    CHECK(upstream_state(r, "openrouter")["ready"] == true);
    for (auto name : {"braintrust", "bifrost"}) {
        auto s = upstream_state(r, name);
        CHECK(s["ready"] == false);
        CHECK(s["failed"] == "connect");
        CHECK(s["error"].get<std::string>().find("refused") != std::string::npos);
    }
}

TEST_CASE("readyz: hanging TLS upstreams are checked at once and answered within 1.5 s",
          "[integration][proxy]")
{
    silent_listener a, b, c;
    auto https = [](const silent_listener& l) {
        return "https://127.0.0.1:" + std::to_string(l.port) + "/v1";
    };
    std::vector<std::string> args = extra_provider("braintrust", https(b));
    for (auto& s : extra_provider("litellm", https(c)))
        args.push_back(s);
    proxy_proc p("openrouter", https(a), args);
    auto t0 = std::chrono::steady_clock::now();
    auto r = http_request(p.admin, {.target = "/readyz", .timeout = 3s});
    auto took = std::chrono::steady_clock::now() - t0;
    CHECK(r.status == 503);
    CHECK(took < 1500ms);
    CHECK(took >= 900ms); // the budget was spent waiting for the handshakes, not skipped
    for (auto name : {"openrouter", "braintrust", "litellm"}) {
        auto s = upstream_state(r, name);
        CHECK(s["ready"] == false);
        CHECK(s["failed"] == "tls");
        CHECK(s["error"].get<std::string>().find("no answer") != std::string::npos);
    }
}

TEST_CASE("access log: one line per request with provider, method, target, status, duration, id",
          "[integration][proxy]")
{
    mock m;
    auto log = temp_log_path("access");
    auto refused = "http://127.0.0.1:" + std::to_string(closed_port()) + "/v1";
    std::vector<std::string> args = {
        "--provider",   "bifrost",     "--port",    "bifrost=0", "--upstream", "bifrost=" + m.url(),
        "--admin-port", "0",           "--threads", "1",         "--env-file", "/nonexistent",
        "--access-log", "--log-level", "info"};
    for (auto& a : extra_provider("litellm", refused))
        args.push_back(a);
    test_support::child_process proc(test_support::program_path("proxy"), args,
                                     {{"LITELLM_MASTER_KEY", master_key}, {"PROXY_API_KEY", ""}}, log);
    auto bifrost = proc.wait_listening("bifrost");
    proc.wait_listening("admin");
    auto litellm = listening_port(proc, "litellm");

    const std::vector<std::pair<std::string, std::string>> auth = {{"Authorization", "Bearer " + client_key}};
    struct expected
    {
        std::string provider, method, target;
        int status;
        std::string id;
    };
    std::vector<expected> want;
    auto send = [&](std::uint16_t port, const std::string& provider, test_support::request_options o) {
        auto r = http_request(port, o);
        // The log shows the path only: a query string may carry a key.
        auto q = o.target.find('?');
        auto logged = q == std::string::npos ? o.target : o.target.substr(0, q) + "?...";
        want.push_back({provider, o.method, logged, static_cast<int>(r.status), r.header("x-request-id")});
        return r.status;
    };
    CHECK(send(bifrost, "bifrost", {.target = "/v1/models?limit=2&key=QUERYSECRET", .headers = auth}) == 200);
    CHECK(send(bifrost, "bifrost", {.target = "/nope", .headers = auth}) == 404);
    auto with_id = auth;
    with_id.emplace_back("X-Request-Id", "client-chosen-id-1");
    CHECK(send(litellm, "litellm",
               {.method = "POST", .target = "/v1/chat/completions", .body = chat_body, .headers = with_id}) ==
          502);
    CHECK(want.back().id == "client-chosen-id-1");

    std::vector<std::string> lines;
    for (int i = 0; i < 100 && lines.size() < want.size(); ++i) {
        lines = access_lines(read_file(log));
        if (lines.size() < want.size())
            std::this_thread::sleep_for(10ms);
    }
    INFO(read_file(log));
    REQUIRE(lines.size() == want.size());
    // "<time> info  [proxy] access <provider> <method> <target> <status> <ms>ms id=<id>"
    const std::regex shape(R"(\] access (\S+) (\S+) (\S+) (\d{3}) ([0-9]+\.[0-9]{3})ms id=(\S+)$)");
    std::set<std::string> seen_ids;
    for (const auto& line : lines) {
        std::smatch mt;
        REQUIRE(std::regex_search(line, mt, shape));
        auto it =
            std::find_if(want.begin(), want.end(), [&](const expected& e) { return e.id == mt[6].str(); });
        REQUIRE(it != want.end());
        CHECK(mt[1] == it->provider);
        CHECK(mt[2] == it->method);
        CHECK(mt[3] == it->target);
        CHECK(std::stoi(mt[4]) == it->status);
        auto ms = std::stod(mt[5]);
        CHECK(ms > 0);
        CHECK(ms < 2000);
        seen_ids.insert(mt[6]);
    }
    CHECK(seen_ids.size() == want.size()); // one line per request, none twice
    auto text = read_file(log);
    CHECK(text.find("FAKEKEY") == std::string::npos); // neither the client's key nor the provider's
    CHECK(text.find("Bearer") == std::string::npos);
    CHECK(text.find("QUERYSECRET") == std::string::npos); // nor one in a query string
    std::filesystem::remove(log);
}

TEST_CASE("access log: off by default", "[integration][proxy]")
{
    mock m;
    auto log = temp_log_path("noaccess");
    test_support::child_process proc(test_support::program_path("proxy"),
                                     {"--provider", "bifrost", "--port", "bifrost=0", "--upstream",
                                      "bifrost=" + m.url(), "--admin-port", "0", "--threads", "1",
                                      "--env-file", "/nonexistent", "--log-level", "info"},
                                     {{"PROXY_API_KEY", ""}}, log);
    auto port = proc.wait_listening("bifrost");
    auto admin = proc.wait_listening("admin");
    const std::vector<std::pair<std::string, std::string>> auth = {{"Authorization", "Bearer " + client_key}};
    CHECK(http_request(port, {.target = "/v1/models", .headers = auth}).status == 200);
    CHECK(http_request(port, {.target = "/nope", .headers = auth}).status == 404);
    // The proxy has answered (and would have logged) both: its counters have them.
    auto metrics = http_request(admin, {.target = "/metrics"}).body;
    CHECK(metrics.find("proxy_requests_total{provider=\"bifrost\",status=\"404\"} 1") != std::string::npos);
    std::this_thread::sleep_for(50ms);
    auto text = read_file(log);
    INFO(text);
    CHECK(text.find(" info ") != std::string::npos); // info lines are written: the level lets them through
    CHECK(access_lines(text).empty());
    CHECK(text.find("FAKEKEY") == std::string::npos);
    std::filesystem::remove(log);
}
