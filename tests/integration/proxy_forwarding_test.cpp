// proxy + mock-llm on port 0: every provider, bodies byte for byte, streaming timing, big
// responses, pool reuse proven with mock /stats, Expect: 100-continue, request ids.
#include "tests/integration/proxy_stack.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace proxy_test;
using test_support::http_connection;
using test_support::http_request;
using test_support::http_request_streamed;
using test_support::request_options;

namespace {

nlohmann::json echo(std::uint16_t port, request_options o)
{
    if (o.target == "/")
        o.target = "/v1/echo";
    auto r = http_request(port, o);
    REQUIRE(r.status == 200);
    return nlohmann::json::parse(r.body);
}

std::string header_of(const nlohmann::json& echo, const std::string& name)
{
    std::string found;
    int count = 0;
    for (const auto& h : echo["headers"]) {
        std::string n = h[0];
        if (n.size() == name.size() && std::equal(n.begin(), n.end(), name.begin(), [](char a, char b) {
                return std::tolower(static_cast<unsigned char>(a)) ==
                       std::tolower(static_cast<unsigned char>(b));
            })) {
            found = h[1];
            ++count;
        }
    }
    return count > 1 ? "<duplicate>" : found;
}

std::uint64_t accepted(std::uint16_t mock_port)
{
    auto r = http_request(mock_port, {.target = "/stats"});
    return nlohmann::json::parse(r.body)["accepted_connections"].get<std::uint64_t>();
}

} // namespace

TEST_CASE("every provider: path mapping, added headers, keys replace Authorization", "[integration][proxy]")
{
    mock m;
    std::vector<std::string> args = {"--admin-port", "0",     "--threads",  "1",
                                     "--log-level",  "error", "--env-file", "/nonexistent"};
    for (std::string p : {"bifrost", "openrouter", "litellm", "braintrust", "portkey"}) {
        std::string base = p == "braintrust" ? "/v1/proxy" : p == "openrouter" ? "/api/v1" : "/v1";
        args.insert(args.end(), {"--port", p + "=0", "--upstream", p + "=" + m.url(base)});
    }
    child_process proxy(test_support::program_path("proxy"), args,
                        {{"OPENROUTER_API_KEY", "sk-or-test"},
                         {"BRAINTRUST_API_KEY", "sk-bt-test"},
                         {"LITELLM_MASTER_KEY", ""},
                         {"OPENAI_API_KEY", "sk-oa-test"},
                         {"PORTKEY_CUSTOM_HOST", ""},
                         {"PROXY_API_KEY", ""}});
    std::map<std::string, std::uint16_t> ports;
    for (std::string p : {"bifrost", "openrouter", "litellm", "braintrust", "portkey"})
        ports[p] = proxy.wait_listening(p);
    request_options o{.method = "POST",
                      .target = "/v1/echo?a=1&b=2",
                      .body = R"({"x":1})",
                      .headers = {{"Authorization", "Bearer client-key"}}};

    auto e = echo(ports["openrouter"], o);
    CHECK(e["target"] == "/api/v1/echo?a=1&b=2");
    CHECK(header_of(e, "authorization") == "Bearer sk-or-test");
    CHECK(header_of(e, "host") == "127.0.0.1:" + std::to_string(m.port));

    e = echo(ports["braintrust"], o);
    CHECK(e["target"] == "/v1/proxy/echo?a=1&b=2");
    CHECK(header_of(e, "authorization") == "Bearer sk-bt-test");

    e = echo(ports["bifrost"], o);
    CHECK(e["target"] == "/v1/echo?a=1&b=2");
    CHECK(header_of(e, "authorization") == "Bearer client-key"); // no key configured: forwarded

    e = echo(ports["litellm"], o);
    CHECK(header_of(e, "authorization") == "Bearer client-key");

    e = echo(ports["portkey"], o);
    CHECK(header_of(e, "x-portkey-provider") == "openai");
    CHECK(header_of(e, "authorization") == "Bearer sk-oa-test");
    CHECK(header_of(e, "x-portkey-custom-host").empty());

    // Chat completion through each listener.
    for (auto& [name, port] : ports) {
        auto r = http_request(port, {.method = "POST",
                                     .target = "/v1/chat/completions",
                                     .body = R"({"model":"m","messages":[{"role":"user","content":"hi"}]})",
                                     .headers = {{"Content-Type", "application/json"}}});
        INFO(name);
        CHECK(r.status == 200);
        CHECK(nlohmann::json::parse(r.body)["object"] == "chat.completion");
    }
}

TEST_CASE("bodies byte for byte both ways: 50 KB prompt, chunked request, 10 MB response",
          "[integration][proxy]")
{
    mock m;
    proxy_proc p("bifrost", m.url());
    std::string prompt;
    for (int i = 0; prompt.size() < 50'000; ++i)
        prompt += static_cast<char>(i * 7919 % 251 + 1);
    auto e = echo(p.port, {.method = "POST", .body = prompt});
    CHECK(e["body_bytes"] == prompt.size());
    CHECK(e["body_fnv1a64"] == fnv1a64_hex(prompt));
    CHECK(header_of(e, "content-length") == std::to_string(prompt.size()));

    // Chunked request body: forwarded chunked, bytes intact.
    std::string head =
        "POST /v1/echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
    std::string body = "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";
    auto raw = test_support::raw_request(p.port, head + body);
    auto j = nlohmann::json::parse(
        raw.substr(raw.find("\r\n\r\n") + 4).substr(raw.find("{") - raw.find("\r\n\r\n") - 4));
    CHECK(j["body_bytes"] == 11);
    CHECK(j["body_fnv1a64"] == fnv1a64_hex("hello world"));

    auto big = http_request(p.port, {.target = "/v1/blob?bytes=10000000", .timeout = 10s});
    REQUIRE(big.status == 200);
    REQUIRE(big.body.size() == 10'000'000);
    bool pattern = true;
    for (std::size_t i = 0; i < big.body.size(); i += 4099)
        pattern = pattern && big.body[i] == static_cast<char>('a' + i % 26);
    CHECK(pattern);
    auto chunked = http_request(p.port, {.target = "/v1/blob?bytes=300000&chunked=1"});
    CHECK(chunked.body.size() == 300'000);
    CHECK(chunked.header("transfer-encoding") == "chunked");
}

TEST_CASE("HTTP/1.0 clients get a body of unknown length as it comes, then a close, never chunked",
          "[integration][proxy]")
{
    // RFC 9112 6.1: no Transfer-Encoding in a response to an HTTP/1.0 request (ApacheBench and
    // older libraries send 1.0). The upstream's chunked stream is decoded and the end of the
    // body is the end of the connection.
    mock m;
    proxy_proc p("bifrost", m.url());
    const std::string body = R"({"model":"m","stream":true,"messages":[{"role":"user","content":"hi"}]})";
    auto raw = test_support::raw_request(p.port, "POST /v1/chat/completions HTTP/1.0\r\nHost: x\r\n"
                                                 "Content-Type: application/json\r\nContent-Length: " +
                                                     std::to_string(body.size()) + "\r\n\r\n" + body);
    auto end = raw.find("\r\n\r\n");
    REQUIRE(end != std::string::npos);
    auto head = raw.substr(0, end + 2), rest = raw.substr(end + 4);
    INFO(head);
    CHECK(raw.rfind("HTTP/1.1 200 ", 0) == 0);
    CHECK(head.find("Transfer-Encoding") == std::string::npos);
    CHECK(head.find("Content-Length") == std::string::npos);
    CHECK(head.find("\r\nConnection: close\r\n") != std::string::npos);
    CHECK(rest.rfind("data: {", 0) == 0); // no chunk-size line before the first event
    CHECK(rest.size() >= 14);
    CHECK(rest.substr(rest.size() - 14) == "data: [DONE]\n\n");

    // The same stream to an HTTP/1.1 client stays chunked.
    auto raw11 = test_support::raw_request(p.port, "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n"
                                                   "Connection: close\r\nContent-Length: " +
                                                       std::to_string(body.size()) + "\r\n\r\n" + body);
    CHECK(raw11.find("\r\nTransfer-Encoding: chunked\r\n") != std::string::npos);
}

TEST_CASE("streaming: every SSE chunk reaches the client as it is produced", "[integration][proxy]")
{
    mock m;
    proxy_proc p("bifrost", m.url());
    auto r = http_request_streamed(
        p.port,
        {.method = "POST",
         .target = "/v1/chat/completions",
         .body = R"({"model":"m","stream":true,"messages":[{"role":"user","content":"hi"}]})",
         .headers = {{"x-mock-ttft", "100ms"}, {"x-mock-token-gap", "80ms"}, {"x-mock-chunks", "5"}}});
    REQUIRE(r.complete);
    CHECK(r.head.status == 200);
    CHECK(r.head.header("content-type").find("text/event-stream") == 0);
    CHECK(r.head.body.find("data: [DONE]") != std::string::npos);
    // Pieces arrive spread over the token gaps, not in one lump at the end.
    REQUIRE(r.pieces.size() >= 4);
    auto first = r.pieces.front().at, last = r.pieces.back().at;
    CHECK(first >= 90ms);
    CHECK(last - first >= 250ms); // 4+ gaps of 80 ms
    int spaced = 0;
    for (std::size_t i = 1; i < r.pieces.size(); ++i)
        spaced += r.pieces[i].at - r.pieces[i - 1].at >= 50ms;
    CHECK(spaced >= 3);
}

TEST_CASE("pool reuse: many client connections, one upstream connection", "[integration][proxy]")
{
    mock m;
    proxy_proc p("bifrost", m.url());
    auto before = accepted(m.port);
    for (int i = 0; i < 20; ++i) {
        auto r =
            http_request(p.port, {.method = "POST", .target = "/v1/chat/completions", .body = chat_body});
        REQUIRE(r.status == 200);
    }
    // The /stats queries open one connection each: +1 here, the proxy's one upstream connection +1.
    CHECK(accepted(m.port) - before == 2);
    // Keep-alive on the client side too: several requests on one connection.
    http_connection c(p.port);
    for (int i = 0; i < 3; ++i)
        CHECK(c.request({.target = "/v1/models"}).status == 200);
    CHECK(accepted(m.port) - before == 3); // one more /stats connection, no new upstream one
}

TEST_CASE("Server-Timing and X-Request-Id on every response, ids kept", "[integration][proxy]")
{
    mock m;
    proxy_proc p("bifrost", m.url());
    auto r = http_request(p.port, {.target = "/v1/models", .headers = {{"X-Request-Id", "client-id-1"}}});
    CHECK(r.status == 200);
    CHECK(r.header("x-request-id") == "client-id-1");
    CHECK(r.header("server-timing").rfind("proxy;dur=", 0) == 0);
    auto e = echo(p.port, {.headers = {{"X-Request-Id", "client-id-2"}}});
    CHECK(header_of(e, "x-request-id") == "client-id-2");
    auto made = http_request(p.port, {.target = "/v1/models"});
    CHECK(made.header("x-request-id").size() == 24);
    auto err = http_request(p.port, {.target = "/nope"});
    CHECK(err.status == 404);
    CHECK(err.header("server-timing").rfind("proxy;dur=", 0) == 0);
    CHECK(!err.header("x-request-id").empty());
    CHECK(nlohmann::json::parse(err.body)["error"]["code"] == "not_found");
}

TEST_CASE("hop-by-hop stripped, forwarding headers replaced unless trusted", "[integration][proxy]")
{
    mock m;
    proxy_proc p("bifrost", m.url());
    auto e = echo(p.port, {.headers = {{"Connection", "keep-alive, X-Drop"},
                                       {"X-Drop", "1"},
                                       {"Keep-Alive", "5"},
                                       {"X-Forwarded-For", "6.6.6.6"},
                                       {"Forwarded", "for=6.6.6.6"},
                                       {"Upgrade", "h2c"}}});
    CHECK(header_of(e, "x-drop").empty());
    CHECK(header_of(e, "keep-alive").empty());
    CHECK(header_of(e, "connection").empty());
    CHECK(header_of(e, "upgrade").empty());
    CHECK(header_of(e, "forwarded").empty());
    CHECK(header_of(e, "x-forwarded-for") == "127.0.0.1");
    proxy_proc trusted("bifrost", m.url(), {"--trust-forwarded"});
    e = echo(trusted.port, {.headers = {{"X-Forwarded-For", "6.6.6.6"}}});
    CHECK(header_of(e, "x-forwarded-for") == "6.6.6.6, 127.0.0.1");
}

TEST_CASE("Expect: 100-continue answered by the proxy, not forwarded", "[integration][proxy]")
{
    mock m;
    proxy_proc p("bifrost", m.url());
    int fd = connect_to(p.port);
    REQUIRE(fd >= 0);
    std::string head =
        "POST /v1/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n";
    ::send(fd, head.data(), head.size(), MSG_NOSIGNAL);
    char buf[4096];
    auto n = ::recv(fd, buf, sizeof buf, 0);
    REQUIRE(n > 0);
    CHECK(std::string(buf, static_cast<std::size_t>(n)) == "HTTP/1.1 100 Continue\r\n\r\n");
    ::send(fd, "hello", 5, MSG_NOSIGNAL);
    std::string rest;
    while (rest.find("\"target\"") == std::string::npos && (n = ::recv(fd, buf, sizeof buf, 0)) > 0)
        rest.append(buf, static_cast<std::size_t>(n));
    ::close(fd);
    REQUIRE(rest.rfind("HTTP/1.1 200", 0) == 0);
    auto j = nlohmann::json::parse(rest.substr(rest.find('{')));
    CHECK(j["body_bytes"] == 5);
    CHECK(header_of(j, "expect").empty());

    // An HTTP/1.0 client's expectation is ignored (it cannot be sent a 1xx, RFC 9110 15.2): the
    // first thing it gets is the final response, and the expectation still does not go upstream.
    auto raw = test_support::raw_request(p.port, "POST /v1/echo HTTP/1.0\r\nHost: x\r\nContent-Length: 5\r\n"
                                                 "Expect: 100-continue\r\n\r\nhello");
    REQUIRE(raw.rfind("HTTP/1.1 200 ", 0) == 0);
    auto j10 = nlohmann::json::parse(raw.substr(raw.find('{')));
    CHECK(j10["body_bytes"] == 5);
    CHECK(header_of(j10, "expect").empty());
}

TEST_CASE("pool: a second burst reuses the first burst's connections, and the surplus closes later",
          "[integration][proxy]")
{
    mock m;
    // Sweep every 500 ms (a quarter of the idle timeout); at most 2 idle for longer than 1 s.
    proxy_proc p("bifrost", m.url(), {"--pool-max-idle", "2", "--pool-idle-timeout", "2s"});
    auto burst = [&] {
        std::vector<std::thread> clients;
        std::atomic<int> ok{0};
        for (int i = 0; i < 8; ++i)
            clients.emplace_back([&] {
                auto r = http_request(p.port, {.method = "POST",
                                               .target = "/v1/chat/completions",
                                               .body = chat_body,
                                               .headers = {{"x-mock-latency", "300ms"}}});
                ok += r.status == 200;
            });
        for (auto& t : clients)
            t.join();
        return ok.load();
    };
    auto before = accepted(m.port);
    REQUIRE(burst() == 8);
    auto after_first = accepted(m.port);
    CHECK(after_first - before == 9); // 8 upstream connections and this /stats query's
    REQUIRE(burst() == 8);
    CHECK(accepted(m.port) - after_first == 1); // only the /stats query: every request reused
    auto idle = [&] {
        auto text = http_request(p.admin, {.target = "/metrics"}).body;
        auto at = text.find("proxy_pool_idle_connections{");
        REQUIRE(at != std::string::npos);
        auto line = text.substr(at, text.find('\n', at) - at);
        return std::stoi(line.substr(line.rfind(' ') + 1));
    };
    CHECK(idle() == 8);
    std::this_thread::sleep_for(1700ms);
    CHECK(idle() == 2);
}
