// Integration-test helper: starts build/bin/mock-llm on port 0 with extra flags and knows its port.
#pragma once

#include "tests/support/child_process.hpp"
#include "tests/support/http_client.hpp"

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace mock_test {

using namespace std::chrono_literals;

struct mock_server
{
    explicit mock_server(std::vector<std::string> args = {},
                         std::vector<std::pair<std::string, std::string>> env = {})
        : proc(test_support::program_path("mock-llm"), with_defaults(std::move(args)), env),
          port(proc.wait_listening("mock"))
    {}

    static std::vector<std::string> with_defaults(std::vector<std::string> args)
    {
        // No .env from the working directory, no info logs.
        std::vector<std::string> all{"--port",      "0",   "--env-file", "/nonexistent/mock-test.env",
                                     "--log-level", "warn"};
        all.insert(all.end(), args.begin(), args.end());
        return all;
    }

    test_support::http_reply post(const std::string& target, const std::string& body,
                                  std::vector<std::pair<std::string, std::string>> headers = {},
                                  std::chrono::milliseconds timeout = 5s) const
    {
        test_support::request_options o;
        o.method = "POST";
        o.target = target;
        o.body = body;
        o.headers = std::move(headers);
        o.headers.emplace_back("Content-Type", "application/json");
        o.timeout = timeout;
        return test_support::http_request(port, o);
    }

    test_support::http_reply get(const std::string& target) const
    {
        test_support::request_options o;
        o.target = target;
        return test_support::http_request(port, o);
    }

    nlohmann::json stats() const { return nlohmann::json::parse(get("/stats").body); }

    test_support::child_process proc;
    std::uint16_t port;
};

inline const std::string chat_body =
    R"({"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hello there"}]})";
inline const std::string stream_body =
    R"({"model":"gpt-4o-mini","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"Hi"}]})";

inline const std::vector<std::string> prefixes{"", "/v1", "/api/v1", "/v1/proxy"};

} // namespace mock_test
