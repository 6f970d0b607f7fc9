// Fixture of the proxy hardening tests (see hardening_env.hpp).
#include "tests/integration/hardening_env.hpp"

#include "tests/support/http_client.hpp"

#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>

namespace hardening {

env::env(std::vector<std::string> extra, std::string upstream_url)
{
    if (upstream_url.empty()) {
        mock_.emplace(test_support::program_path("mock-llm"),
                      std::vector<std::string>{"--port", "0", "--threads", "1"});
        mock_port_ = mock_->wait_listening("mock");
        upstream_url = "http://127.0.0.1:" + std::to_string(mock_port_) + "/v1";
    }
    std::vector<std::string> args = {"--provider",   "bifrost", "--port",     "bifrost=0",
                                     "--admin-port", "0",       "--upstream", "bifrost=" + upstream_url,
                                     "--threads",    "1"};
    args.insert(args.end(), extra.begin(), extra.end());
    proxy_.emplace(test_support::program_path("proxy"), args);
    port_ = proxy_->wait_listening("bifrost");
}

std::uint64_t env::upstream_requests() const
{
    return test_support::mock_requests_seen(mock_port_);
}

void check_openai_error(const raw_peer::response& r, unsigned status, bool head_request)
{
    REQUIRE(r.status == status);
    CHECK(r.header("content-type").find("application/json") == 0);
    CHECK(r.header("connection") == "close");
    CHECK(!r.header("x-request-id").empty());
    CHECK(r.header("server-timing").rfind("proxy;dur=", 0) == 0);
    if (head_request) { // the head a GET would get, no body (RFC 9110 9.3.2)
        CHECK(!r.header("content-length").empty());
        CHECK(r.body.empty());
        return;
    }
    CHECK(r.complete);
    auto j = nlohmann::json::parse(r.body, nullptr, false);
    REQUIRE(j.is_object());
    REQUIRE(j.contains("error"));
    const auto& e = j["error"];
    CHECK(e["message"].is_string());
    CHECK(!e["message"].get<std::string>().empty());
    CHECK(e["type"] == (status >= 500 ? "server_error" : "invalid_request_error"));
    CHECK(e["code"].is_string());
    CHECK(e.contains("param"));
}

namespace {
std::uint64_t status_kib(pid_t pid, const std::string& key)
{
    std::ifstream f("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(f, line))
        if (line.rfind(key, 0) == 0)
            return std::stoull(line.substr(key.size()));
    return 0;
}
} // namespace

std::uint64_t rss_kib(pid_t pid)
{
    return status_kib(pid, "VmRSS:");
}

std::uint64_t peak_rss_kib(pid_t pid)
{
    return status_kib(pid, "VmHWM:");
}

void reset_peak_rss(pid_t pid)
{
    std::ofstream f("/proc/" + std::to_string(pid) + "/clear_refs");
    f << "5";
}

} // namespace hardening
