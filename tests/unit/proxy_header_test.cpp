// proxy header rewriting, path mapping and method allowlist (sans-I/O): the heads the proxy
// writes are split again (scan_raw_head / http1::parse_response) and checked field by field.
#include "common/http_headers.hpp"
#include "proxy/header_rewrite.hpp"
#include "proxy/request_guard.hpp"

#include <catch2/catch.hpp>

namespace {

proxy::provider_config provider(std::vector<common::added_header> headers = {})
{
    proxy::provider_config p;
    p.name = "test";
    p.upstream = *common::parse_url("https://api.example.com/api/v1");
    p.headers = std::move(headers);
    return p;
}

// A written head, split again so that its fields can be looked up.
struct written
{
    std::string bytes;
    proxy::http1::request_head head;
    std::string id;

    std::size_t count(std::string_view name) const
    {
        return static_cast<std::size_t>(
            std::count_if(head.fields.begin(), head.fields.end(),
                          [&](const auto& f) { return common::iequals(f.name, name); }));
    }
    std::string get(std::string_view name) const
    {
        for (const auto& f : head.fields)
            if (common::iequals(f.name, name))
                return std::string(f.value);
        return "<absent>";
    }
};

written rewrite(const std::string& target, const std::string& fields, const proxy::request_rewrite& r)
{
    std::string raw = "POST " + target + " HTTP/1.1\r\n" + fields + "\r\n";
    proxy::http1::request_head in;
    REQUIRE_FALSE(proxy::scan_raw_head(raw, {}, in));
    written w;
    proxy::write_request_head(w.bytes, in, r, w.id);
    REQUIRE_FALSE(proxy::scan_raw_head(w.bytes, {}, w.head));
    return w;
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

TEST_CASE("request line: the target mapped onto the upstream base path, query kept", "[unit][proxy]")
{
    auto p = provider();
    auto w = rewrite("/v1/chat/completions?stream=1", "Host: a\r\n", {&p, "127.0.0.1", false, false, {}});
    CHECK(w.head.method == "POST");
    CHECK(w.head.target == "/api/v1/chat/completions?stream=1");
    CHECK(w.head.version_text == "HTTP/1.1");
    CHECK(w.head.target == *proxy::map_target("/v1/chat/completions?stream=1", p.upstream.base_path));
    CHECK(w.get("Host") == "api.example.com");
    // The worker passes the Host value it computed once per provider.
    auto cached = rewrite("/v1/x", "Host: a\r\n", {&p, "127.0.0.1", false, false, "cached.example:8443"});
    CHECK(cached.get("Host") == "cached.example:8443");
    CHECK(cached.count("Host") == 1);
}

TEST_CASE("method allowlist", "[unit][proxy]")
{
    for (auto m : {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})
        CHECK(proxy::method_allowed(m));
    for (auto m : {"CONNECT", "TRACE", "PROPFIND", "get", "Post", ""})
        CHECK_FALSE(proxy::method_allowed(m));
}

TEST_CASE("request: hop-by-hop and Connection-named headers stripped, Host from config", "[unit][proxy]")
{
    auto p = provider();
    auto w =
        rewrite("/v1/x",
                "Host: evil.example\r\nConnection: keep-alive, X-Secret\r\nX-Secret: 1\r\n"
                "Keep-Alive: timeout=5\r\nTE: trailers\r\nUpgrade: h2c\r\nProxy-Authorization: Basic x\r\n"
                "Expect: 100-continue\r\nContent-Length: 5\r\nAuthorization: Bearer client\r\n"
                "X-Custom: kept\r\n",
                {&p, "10.1.2.3", false, false, {}});
    CHECK(w.get("Host") == "api.example.com");
    CHECK(w.count("Host") == 1);
    for (auto n : {"Connection", "X-Secret", "Keep-Alive", "TE", "Upgrade", "Proxy-Authorization", "Expect"})
        CHECK(w.count(n) == 0);
    CHECK(w.get("Content-Length") == "5");            // framing: relayed as sent
    CHECK(w.get("Authorization") == "Bearer client"); // no configured key: forwarded
    CHECK(w.get("X-Custom") == "kept");
    CHECK(w.get("X-Forwarded-For") == "10.1.2.3");
    CHECK(w.get("X-Forwarded-Proto") == "http");
    CHECK(w.get("X-Request-Id") == w.id);
    CHECK(w.id.size() == 24);
    CHECK(w.bytes.ends_with("\r\n\r\n"));
}

TEST_CASE("request: configured key replaces Authorization, provider headers added once", "[unit][proxy]")
{
    auto p = provider({{"Authorization", "Bearer sk-conf"}, {"x-portkey-provider", "openai"}});
    auto w = rewrite("/v1/x", "Host: a\r\nAuthorization: Bearer client\r\nX-Portkey-Provider: anthropic\r\n",
                     {&p, "127.0.0.1", false, false, {}});
    CHECK(w.count("Authorization") == 1);
    CHECK(w.get("Authorization") == "Bearer sk-conf");
    CHECK(w.count("x-portkey-provider") == 1);
    CHECK(w.get("x-portkey-provider") == "openai");
}

TEST_CASE("request: inbound proxy key is not forwarded", "[unit][proxy]")
{
    auto p = provider();
    auto w = rewrite("/v1/x", "Host: a\r\nAuthorization: Bearer proxy-key\r\n",
                     {&p, "127.0.0.1", false, true, {}});
    CHECK(w.count("Authorization") == 0);
}

TEST_CASE("request: forwarding headers replaced unless trusted, request id kept when sane", "[unit][proxy]")
{
    auto p = provider();
    const std::string fields =
        "Host: a\r\nX-Forwarded-For: 1.1.1.1\r\nX-Forwarded-Proto: https\r\n"
        "X-Forwarded-Host: spoof\r\nForwarded: for=1.1.1.1\r\nX-Request-Id: abc-123\r\n"
        "X-Forwarded-For: 2.2.2.2\r\n";
    auto untrusted = rewrite("/v1/x", fields, {&p, "10.0.0.9", false, false, {}});
    CHECK(untrusted.id == "abc-123");
    CHECK(untrusted.get("X-Request-Id") == "abc-123");
    CHECK(untrusted.count("X-Forwarded-For") == 1);
    CHECK(untrusted.get("X-Forwarded-For") == "10.0.0.9");
    CHECK(untrusted.get("X-Forwarded-Proto") == "http");
    CHECK(untrusted.count("X-Forwarded-Host") == 0);
    CHECK(untrusted.count("Forwarded") == 0);
    auto trusted = rewrite("/v1/x", fields, {&p, "10.0.0.9", true, false, {}});
    CHECK(trusted.count("X-Forwarded-For") == 1);
    CHECK(trusted.get("X-Forwarded-For") == "1.1.1.1, 2.2.2.2, 10.0.0.9");
    CHECK(trusted.get("X-Forwarded-Proto") == "https");
    CHECK(trusted.get("X-Forwarded-Host") == "spoof");
    CHECK(trusted.get("Forwarded") == "for=1.1.1.1");
    auto bad = rewrite("/v1/x", "Host: a\r\nX-Request-Id: " + std::string(200, 'a') + "\r\n",
                       {&p, "x", false, false, {}});
    CHECK(bad.id.size() == 24);
    CHECK(bad.count("X-Request-Id") == 1);
    CHECK_FALSE(proxy::sane_request_id("a b"));
    CHECK(proxy::make_request_id() != proxy::make_request_id());
}

TEST_CASE("response: hop-by-hop stripped, Server-Timing and X-Request-Id set, framing the proxy's",
          "[unit][proxy]")
{
    std::string raw =
        "HTTP/1.1 200 OK\r\nConnection: close, X-Internal\r\nX-Internal: 1\r\nTrailer: X-Checksum\r\n"
        "Keep-Alive: timeout=5\r\nContent-Type: text/event-stream\r\nX-Request-Id: upstream-id\r\n"
        "Transfer-Encoding: chunked\r\nServer-Timing: db;dur=3\r\n\r\n";
    proxy::http1::response_head in;
    REQUIRE(proxy::http1::parse_response(raw, in));
    std::string out;
    proxy::write_response_head(out, in, "rid", 1.5, {std::nullopt, true}, true);
    proxy::http1::response_head h;
    REQUIRE(proxy::http1::parse_response(out, h));
    CHECK(h.status == 200);
    CHECK(h.reason == "OK");
    auto count = [&](std::string_view n) {
        return std::count_if(h.fields.begin(), h.fields.end(),
                             [&](const auto& f) { return common::iequals(f.name, n); });
    };
    auto get = [&](std::string_view n) {
        for (const auto& f : h.fields)
            if (common::iequals(f.name, n))
                return std::string(f.value);
        return std::string("<absent>");
    };
    for (auto n : {"Connection", "X-Internal", "Trailer", "Keep-Alive"})
        CHECK(count(n) == 0);
    CHECK(get("Content-Type") == "text/event-stream");
    CHECK(get("X-Request-Id") == "rid");
    CHECK(count("Server-Timing") == 2); // the upstream's own is kept
    CHECK(out.find("Server-Timing: proxy;dur=1.500\r\n") != std::string::npos);
    CHECK(get("Transfer-Encoding") == "chunked");
    CHECK(count("Transfer-Encoding") == 1);

    proxy::write_response_head(out, in, "rid", 0.0004, {42, false}, false);
    REQUIRE(proxy::http1::parse_response(out, h));
    CHECK(get("Content-Length") == "42");
    CHECK(count("Transfer-Encoding") == 0);
    CHECK(get("Connection") == "close");
    CHECK(out.find("proxy;dur=0.000\r\n") != std::string::npos);
}

TEST_CASE("response: a status line without a reason phrase is relayed with an empty one", "[unit][proxy]")
{
    // RFC 9112 4: the reason may be empty, and the SP before it may be missing. The parsed reason
    // is then an empty view that may hold a null pointer (the fuzz target found it reaching memcpy).
    for (std::string raw : {"HTTP/1.1 200\r\nContent-Length: 2\r\n\r\n", "HTTP/1.1 404 \r\n\r\n"}) {
        proxy::http1::response_head in;
        REQUIRE(proxy::http1::parse_response(raw, in));
        CHECK(in.reason.empty());
        std::string out;
        proxy::write_response_head(out, in, "rid", 0.5, {2, false}, true);
        CHECK(out.substr(0, 15) == "HTTP/1.1 " + raw.substr(9, 3) + " \r\n");
        proxy::http1::response_head back;
        REQUIRE(proxy::http1::parse_response(out, back));
        CHECK(back.status == in.status);
        CHECK(back.reason.empty());
    }
}

TEST_CASE("Server-Timing value: milliseconds with three decimals, rounded", "[unit][proxy]")
{
    CHECK(proxy::server_timing_value(1.5) == "proxy;dur=1.500");
    CHECK(proxy::server_timing_value(0.0306) == "proxy;dur=0.031");
    CHECK(proxy::server_timing_value(12345.6789) == "proxy;dur=12345.679");
    CHECK(proxy::server_timing_value(-1) == "proxy;dur=0.000");
}

TEST_CASE("heads written: kept fields byte for byte, whether copied as runs or one by one", "[unit][proxy]")
{
    // Canonical lines ("Name: value") next to each other are copied as one run; the others (extra
    // spaces, no space, trailing whitespace) are rewritten as "Name: value"; dropped fields split
    // the runs. The result must be what writing every kept field one by one gives.
    std::string fields = "Host: client.example\r\nContent-Type: application/json\r\nAccept:  */*\r\n"
                         "X-A: 1\r\nX-B:2\r\nX-C: 3 \r\nConnection: x-d\r\nX-D: gone\r\nX-E: 5\r\n"
                         "X-F: 6\r\nContent-Length: 2\r\n";
    std::string raw = "POST /v1/x HTTP/1.1\r\n" + fields + "\r\n";
    proxy::http1::request_head in;
    REQUIRE_FALSE(proxy::scan_raw_head(raw, {}, in));
    auto p = provider();
    std::string out, id;
    proxy::write_request_head(out, in, {&p, "10.0.0.1", false, false, {}}, id);
    CHECK(out == "POST /api/v1/x HTTP/1.1\r\nHost: api.example.com\r\nContent-Type: application/json\r\n"
                 "Accept: */*\r\nX-A: 1\r\nX-B: 2\r\nX-C: 3\r\nX-E: 5\r\nX-F: 6\r\nContent-Length: 2\r\n"
                 "X-Forwarded-For: 10.0.0.1\r\nX-Forwarded-Proto: http\r\nX-Request-Id: " +
                     id + "\r\n\r\n");

    std::string res_raw = "HTTP/1.1 200 OK\r\nServer: up\r\nDate: today\r\nKeep-Alive: timeout=5\r\n"
                          "Content-Type:text/plain\r\nX-Z: z\r\nContent-Length: 2\r\n\r\n";
    proxy::http1::response_head res;
    REQUIRE(proxy::http1::parse_response(res_raw, res));
    proxy::write_response_head(out, res, "rid", 0.25, {2, false}, true);
    CHECK(out == "HTTP/1.1 200 OK\r\nServer: up\r\nDate: today\r\nContent-Type: text/plain\r\nX-Z: z\r\n"
                 "X-Request-Id: rid\r\nServer-Timing: proxy;dur=0.250\r\nContent-Length: 2\r\n\r\n");
    proxy::write_response_head(out, res, "rid", 0.25, {std::nullopt, true}, false);
    CHECK(out == "HTTP/1.1 200 OK\r\nServer: up\r\nDate: today\r\nContent-Type: text/plain\r\nX-Z: z\r\n"
                 "X-Request-Id: rid\r\nServer-Timing: proxy;dur=0.250\r\nTransfer-Encoding: chunked\r\n"
                 "Connection: close\r\n\r\n");
    proxy::write_response_head(out, res, "rid", 0.25, {std::nullopt, false}, true);
    CHECK(out.ends_with("Server-Timing: proxy;dur=0.250\r\n\r\n"));
}
