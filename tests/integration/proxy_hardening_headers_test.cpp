// Header hygiene of the proxy (issue 3, "Hardening"): Expect: 100-continue answered by the proxy,
// hop-by-hop and Connection-named headers stripped both ways, Forwarded / X-Forwarded-* replaced
// unless --trust-forwarded, trailers dropped both ways. mock-llm's /echo and a raw fake upstream
// show what reached the upstream byte for byte.
#include "tests/integration/hardening_env.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cctype>
#include <nlohmann/json.hpp>

using namespace hardening;
using namespace std::chrono_literals;

namespace {

std::string lower(std::string s)
{
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

// Header names and values as mock-llm's /echo saw them (names lower-cased).
std::multimap<std::string, std::string> echoed_headers(const raw_peer::response& r)
{
    std::multimap<std::string, std::string> out;
    auto j = nlohmann::json::parse(r.body);
    for (const auto& pair : j.at("headers"))
        out.emplace(lower(pair.at(0).get<std::string>()), pair.at(1).get<std::string>());
    return out;
}

const std::vector<std::string> hop_by_hop = {
    "keep-alive",          "proxy-connection",   "te",         "trailer", "upgrade",
    "proxy-authorization", "proxy-authenticate", "x-named-hop"};

} // namespace

TEST_CASE("Expect: 100-continue is answered by the proxy and not forwarded", "[integration][hardening]")
{
    env e;
    raw_peer::client c(e.port());
    c.send("POST /v1/echo HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
    auto interim = c.read(1s, [](const std::string& s) { return s.find("\r\n\r\n") != s.npos; });
    REQUIRE(interim.rfind("HTTP/1.1 100 Continue\r\n", 0) == 0); // before the body was sent
    c.send("hello");
    auto r = c.read_response();
    REQUIRE(r.status == 200);
    auto h = echoed_headers(r);
    CHECK(h.count("expect") == 0);
    CHECK(nlohmann::json::parse(r.body)["body_bytes"] == 5);
}

TEST_CASE("hop-by-hop and Connection-named request headers are stripped", "[integration][hardening]")
{
    env e;
    auto r = raw_peer::exchange(e.port(),
                                "POST /v1/echo HTTP/1.1\r\nHost: a\r\n"
                                "Connection: keep-alive, X-Named-Hop\r\nX-Named-Hop: secret\r\n"
                                "Keep-Alive: timeout=5\r\nProxy-Connection: keep-alive\r\nTE: trailers\r\n"
                                "Trailer: X-T\r\nUpgrade: websocket\r\nProxy-Authorization: Basic eDp5\r\n"
                                "X-End-To-End: kept\r\nContent-Length: 2\r\n\r\nhi");
    REQUIRE(r.status == 200);
    auto h = echoed_headers(r);
    for (const auto& name : hop_by_hop) {
        INFO(name);
        CHECK(h.count(name) == 0);
    }
    auto conn = h.find("connection");
    if (conn != h.end())
        CHECK(lower(conn->second).find("x-named-hop") == std::string::npos);
    CHECK(h.find("x-end-to-end") != h.end());
    CHECK(h.count("host") == 1);
    CHECK(h.find("host")->second == "127.0.0.1:" + std::to_string(e.mock_port())); // from the config
}

TEST_CASE("hop-by-hop, Connection-named headers and trailers from the upstream are stripped",
          "[integration][hardening]")
{
    raw_peer::fake_upstream up([](const std::string&) {
        return std::string(
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close, X-Up-Hop\r\n"
            "X-Up-Hop: secret\r\nKeep-Alive: timeout=5\r\nProxy-Authenticate: Basic\r\n"
            "Upgrade: h2c\r\nTrailer: X-Resp-Trail\r\nX-Kept: yes\r\nTransfer-Encoding: chunked\r\n\r\n"
            "5\r\nhello\r\n0\r\nX-Resp-Trail: secret-trailer\r\n\r\n");
    });
    env e({}, "http://127.0.0.1:" + std::to_string(up.port()) + "/v1");
    raw_peer::client c(e.port());
    c.send("GET /v1/anything HTTP/1.1\r\nHost: a\r\n\r\n");
    auto raw = c.read(2s, [](const std::string& s) { return raw_peer::parse_response(s).complete; });
    auto r = raw_peer::parse_response(raw);
    REQUIRE(r.status == 200);
    CHECK(r.complete);
    CHECK(r.body == "hello");
    CHECK(r.header("x-kept") == "yes");
    for (const auto& name : {"x-up-hop", "keep-alive", "proxy-authenticate", "upgrade", "trailer"}) {
        INFO(name);
        CHECK(r.headers.count(name) == 0);
    }
    CHECK(lower(r.header("connection")).find("x-up-hop") == std::string::npos);
    CHECK(raw.find("secret") == std::string::npos); // neither the named header nor the trailer
}

TEST_CASE("request trailers are dropped", "[integration][hardening]")
{
    raw_peer::fake_upstream up([](const std::string&) {
        return std::string("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
    });
    env e({}, "http://127.0.0.1:" + std::to_string(up.port()) + "/v1");
    auto r = raw_peer::exchange(e.port(),
                                "POST /v1/upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
                                "Trailer: X-Trail\r\n\r\n5\r\nhello\r\n0\r\nX-Trail: secret-trailer\r\n\r\n");
    CHECK(r.status == 200);
    auto reqs = up.requests();
    REQUIRE(reqs.size() == 1);
    CHECK(reqs[0].find("hello") != std::string::npos);
    CHECK(lower(reqs[0]).find("x-trail") == std::string::npos);
    CHECK(reqs[0].find("secret-trailer") == std::string::npos);
}

TEST_CASE("client Forwarded / X-Forwarded-* are replaced, or kept with --trust-forwarded",
          "[integration][hardening]")
{
    const std::string request =
        "GET /v1/echo HTTP/1.1\r\nHost: a\r\nForwarded: for=203.0.113.9;proto=https\r\n"
        "X-Forwarded-For: 203.0.113.9\r\nX-Forwarded-Host: evil.example\r\n"
        "X-Forwarded-Proto: https\r\n\r\n";
    {
        env e;
        auto r = raw_peer::exchange(e.port(), request);
        REQUIRE(r.status == 200);
        auto h = echoed_headers(r);
        CHECK(h.count("forwarded") == 0);
        CHECK(h.count("x-forwarded-host") == 0);
        REQUIRE(h.count("x-forwarded-for") == 1);
        CHECK(h.find("x-forwarded-for")->second == "127.0.0.1");
        REQUIRE(h.count("x-forwarded-proto") == 1);
        CHECK(h.find("x-forwarded-proto")->second == "http");
    }
    {
        env e({"--trust-forwarded"});
        auto r = raw_peer::exchange(e.port(), request);
        REQUIRE(r.status == 200);
        auto h = echoed_headers(r);
        CHECK(h.count("forwarded") == 1);
        CHECK(h.count("x-forwarded-host") == 1);
        REQUIRE(h.count("x-forwarded-for") == 1);
        CHECK(h.find("x-forwarded-for")->second == "203.0.113.9, 127.0.0.1");
        REQUIRE(h.count("x-forwarded-proto") == 1);
        CHECK(h.find("x-forwarded-proto")->second == "https");
    }
}
