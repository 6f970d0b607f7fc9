// proxy header rewriting, path mapping and method allowlist (sans-I/O).
#include "proxy/header_rewrite.hpp"

#include <catch2/catch.hpp>

namespace http = boost::beast::http;

namespace {
proxy::provider_config provider(std::vector<common::added_header> headers = {})
{
    proxy::provider_config p;
    p.name = "test";
    p.upstream = *common::parse_url("https://api.example.com/api/v1");
    p.headers = std::move(headers);
    return p;
}
std::string get(const http::request_header<>& h, const char* n)
{
    return std::string(h[n]);
}
} // namespace

TEST_CASE("map_target: /v1/<rest> -> base/<rest>, query kept", "[unit][proxy]")
{
    CHECK(proxy::map_target("/v1/chat/completions", "/api/v1") == "/api/v1/chat/completions");
    CHECK(proxy::map_target("/v1/models?x=1&y", "") == "/models?x=1&y");
    CHECK(proxy::map_target("/v1/embeddings", "/v1/proxy") == "/v1/proxy/embeddings");
    CHECK_FALSE(proxy::map_target("/v2/chat", "/v1"));
    CHECK_FALSE(proxy::map_target("/v1", "/v1"));
    CHECK_FALSE(proxy::map_target("/", "/v1"));
    CHECK_FALSE(proxy::map_target("/v1x/a", "/v1"));
}

TEST_CASE("method allowlist", "[unit][proxy]")
{
    for (auto v : {http::verb::get, http::verb::post, http::verb::put, http::verb::patch, http::verb::delete_,
                   http::verb::head, http::verb::options})
        CHECK(proxy::method_allowed(v));
    for (auto v : {http::verb::connect, http::verb::trace, http::verb::propfind})
        CHECK_FALSE(proxy::method_allowed(v));
}

TEST_CASE("request: hop-by-hop and Connection-named headers stripped, Host from config", "[unit][proxy]")
{
    auto p = provider();
    http::request_header<> h;
    h.set(http::field::host, "evil.example");
    h.set(http::field::connection, "keep-alive, X-Secret");
    h.set("X-Secret", "1");
    h.set(http::field::keep_alive, "timeout=5");
    h.set(http::field::te, "trailers");
    h.set(http::field::upgrade, "h2c");
    h.set("Proxy-Authorization", "Basic x");
    h.set(http::field::expect, "100-continue");
    h.set(http::field::content_length, "5");
    h.set(http::field::authorization, "Bearer client");
    h.set("X-Custom", "kept");
    auto id = proxy::rewrite_request(h, {&p, "10.1.2.3", false, false});
    CHECK(get(h, "Host") == "api.example.com");
    for (auto n : {"Connection", "X-Secret", "Keep-Alive", "TE", "Upgrade", "Proxy-Authorization", "Expect"})
        CHECK(h.count(n) == 0);
    CHECK(get(h, "Content-Length") == "5");            // framing is the caller's
    CHECK(get(h, "Authorization") == "Bearer client"); // no configured key: forwarded
    CHECK(get(h, "X-Custom") == "kept");
    CHECK(get(h, "X-Forwarded-For") == "10.1.2.3");
    CHECK(get(h, "X-Forwarded-Proto") == "http");
    CHECK(get(h, "X-Request-Id") == id);
    CHECK(id.size() == 24);
}

TEST_CASE("request: configured key replaces Authorization, provider headers added once", "[unit][proxy]")
{
    auto p = provider({{"Authorization", "Bearer sk-conf"}, {"x-portkey-provider", "openai"}});
    http::request_header<> h;
    h.set(http::field::authorization, "Bearer client");
    h.set("X-Portkey-Provider", "anthropic");
    proxy::rewrite_request(h, {&p, "127.0.0.1", false, false});
    CHECK(h.count(http::field::authorization) == 1);
    CHECK(get(h, "Authorization") == "Bearer sk-conf");
    CHECK(h.count("x-portkey-provider") == 1);
    CHECK(get(h, "x-portkey-provider") == "openai");
}

TEST_CASE("request: inbound proxy key is not forwarded", "[unit][proxy]")
{
    auto p = provider();
    http::request_header<> h;
    h.set(http::field::authorization, "Bearer proxy-key");
    proxy::rewrite_request(h, {&p, "127.0.0.1", false, true});
    CHECK(h.count(http::field::authorization) == 0);
}

TEST_CASE("request: forwarding headers replaced unless trusted, request id kept when sane", "[unit][proxy]")
{
    auto p = provider();
    http::request_header<> h;
    h.set("X-Forwarded-For", "1.1.1.1");
    h.set("X-Forwarded-Proto", "https");
    h.set("X-Forwarded-Host", "spoof");
    h.set("Forwarded", "for=1.1.1.1");
    h.set("X-Request-Id", "abc-123");
    auto untrusted = h;
    auto id = proxy::rewrite_request(untrusted, {&p, "10.0.0.9", false, false});
    CHECK(id == "abc-123");
    CHECK(get(untrusted, "X-Forwarded-For") == "10.0.0.9");
    CHECK(get(untrusted, "X-Forwarded-Proto") == "http");
    CHECK(untrusted.count("X-Forwarded-Host") == 0);
    CHECK(untrusted.count("Forwarded") == 0);
    auto trusted = h;
    proxy::rewrite_request(trusted, {&p, "10.0.0.9", true, false});
    CHECK(get(trusted, "X-Forwarded-For") == "1.1.1.1, 10.0.0.9");
    CHECK(get(trusted, "X-Forwarded-Proto") == "https");
    CHECK(get(trusted, "X-Forwarded-Host") == "spoof");
    http::request_header<> bad;
    bad.set("X-Request-Id", std::string(200, 'a'));
    CHECK(proxy::rewrite_request(bad, {&p, "x", false, false}) != std::string(200, 'a'));
    CHECK_FALSE(proxy::sane_request_id("a b"));
    CHECK(proxy::make_request_id() != proxy::make_request_id());
}

TEST_CASE("response: hop-by-hop stripped, Server-Timing and X-Request-Id set", "[unit][proxy]")
{
    http::response_header<> h;
    h.set(http::field::connection, "close, X-Internal");
    h.set("X-Internal", "1");
    h.set(http::field::trailer, "X-Checksum");
    h.set(http::field::keep_alive, "timeout=5");
    h.set(http::field::content_type, "text/event-stream");
    h.set("X-Request-Id", "upstream-id");
    proxy::rewrite_response(h, "rid", 1.5);
    for (auto n : {"Connection", "X-Internal", "Trailer", "Keep-Alive"})
        CHECK(h.count(n) == 0);
    CHECK(std::string(h["Content-Type"]) == "text/event-stream");
    CHECK(std::string(h["X-Request-Id"]) == "rid");
    CHECK(std::string(h["Server-Timing"]) == "proxy;dur=1.500");
}
