// proxy error statuses (OpenAI-shaped, Connection: close) and upstream misbehaviour:
// 401 404 405 413 502 503 504 505, status passthrough, truncated upstream responses.
#include "tests/integration/proxy_stack.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace proxy_test;
using test_support::http_connection;
using test_support::http_request;
using test_support::http_request_streamed;
using test_support::request_options;

namespace {

void check_error(const test_support::http_reply& r, unsigned status, const std::string& code = {})
{
    CHECK(r.status == status);
    auto j = nlohmann::json::parse(r.body, nullptr, false);
    REQUIRE(j.is_object());
    CHECK(j["error"].contains("message"));
    CHECK(j["error"].contains("type"));
    if (!code.empty())
        CHECK(j["error"]["code"] == code);
    CHECK(r.header("connection") == "close");
    CHECK(r.header("server-timing").rfind("proxy;dur=", 0) == 0);
}

// A raw upstream answering every request with `reply`.
raw_upstream replying(std::string reply)
{
    return raw_upstream([reply](int fd, int) {
        while (!raw_upstream::read_request(fd).empty())
            raw_upstream::send_all(fd, reply);
    });
}

} // namespace

TEST_CASE("client errors: 404 path, 405 method, 505 version, 401 inbound auth", "[integration][proxy]")
{
    mock m;
    proxy_proc p("bifrost", m.url());
    auto before = test_support::mock_requests_seen(m.port);
    check_error(http_request(p.port, {.target = "/v2/chat/completions"}), 404, "not_found");
    check_error(http_request(p.port, {.method = "TRACE", .target = "/v1/models"}), 405);
    auto raw = test_support::raw_request(p.port, "GET /v1/models HTTP/2.0\r\nHost: x\r\n\r\n");
    CHECK(raw.rfind("HTTP/1.1 505", 0) == 0);
    CHECK(test_support::mock_requests_seen(m.port) == before);

    child_process with_key(test_support::program_path("proxy"),
                           {"--provider", "bifrost", "--port", "bifrost=0", "--upstream",
                            "bifrost=" + m.url(), "--admin-port", "0", "--threads", "1", "--log-level",
                            "error", "--env-file", "/nonexistent"},
                           {{"PROXY_API_KEY", "pk-123"}});
    auto port = with_key.wait_listening("bifrost");
    check_error(http_request(port, {.target = "/v1/models"}), 401, "invalid_api_key");
    check_error(http_request(port, {.target = "/v1/models", .headers = {{"Authorization", "Bearer pk-12"}}}),
                401);
    auto ok = http_request(port, {.target = "/v1/echo", .headers = {{"Authorization", "Bearer pk-123"}}});
    CHECK(ok.status == 200);
    CHECK(ok.body.find("pk-123") == std::string::npos); // the proxy's own key is not forwarded
    CHECK(ok.body.find("uthorization") == std::string::npos);
}

TEST_CASE("errors answer a HEAD with their head alone", "[integration][proxy]")
{
    // RFC 9110 9.3.2: a response to HEAD ends with its header section, whatever its status. The
    // proxy knows the method once the request line has passed, so even a refusal has no body.
    proxy_proc p("bifrost", "http://127.0.0.1:" + std::to_string(closed_port()) + "/v1");
    struct
    {
        std::string request;
        const char* status_line;
    } cases[] = {
        {"HEAD /v2/models HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 404 "},
        {"HEAD /v1/a/../models HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 400 "},
        {"HEAD /v1/models HTTP/1.1\r\n\r\n", "HTTP/1.1 400 "}, // no Host
        {"HEAD /v1/models HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 502 "},
    };
    for (const auto& c : cases) {
        INFO(c.request);
        auto raw = test_support::raw_request(p.port, c.request);
        CHECK(raw.rfind(c.status_line, 0) == 0);
        auto end = raw.find("\r\n\r\n");
        REQUIRE(end != std::string::npos);
        CHECK(raw.size() == end + 4); // nothing after the head, and the connection closed
        CHECK(raw.find("\r\nContent-Length: ") != std::string::npos); // what a GET would have had
        CHECK(raw.find("\r\nConnection: close\r\n") != std::string::npos);
    }
    // A request line the guard refuses: the method is not known, the error has its body.
    auto raw = test_support::raw_request(p.port, "HEAD  /v1/models HTTP/1.1\r\nHost: x\r\n\r\n");
    CHECK(raw.rfind("HTTP/1.1 400 ", 0) == 0);
    CHECK(raw.find("\"error\"") != std::string::npos);
}

TEST_CASE("413 for a body over --max-body, nothing reaches the upstream", "[integration][proxy]")
{
    mock m;
    proxy_proc p("bifrost", m.url(), {"--max-body", "1000"});
    auto before = test_support::mock_requests_seen(m.port);
    check_error(
        http_request(p.port, {.method = "POST", .target = "/v1/echo", .body = std::string(2000, 'x')}), 413);
    CHECK(test_support::mock_requests_seen(m.port) == before);
    CHECK(http_request(p.port, {.method = "POST", .target = "/v1/echo", .body = std::string(900, 'x')})
              .status == 200);
}

TEST_CASE("502 within milliseconds when the upstream refuses", "[integration][proxy]")
{
    proxy_proc p("bifrost", "http://127.0.0.1:" + std::to_string(closed_port()) + "/v1");
    auto t0 = std::chrono::steady_clock::now();
    auto r = http_request(p.port, {.target = "/v1/models"});
    auto took = std::chrono::steady_clock::now() - t0;
    check_error(r, 502, "upstream_unreachable");
    CHECK(took < 200ms);
}

TEST_CASE("504 when the upstream's first byte is late", "[integration][proxy]")
{
    mock m;
    proxy_proc p("bifrost", m.url(), {"--first-byte-timeout", "200ms"});
    auto t0 = std::chrono::steady_clock::now();
    auto r = http_request(p.port, {.method = "POST",
                                   .target = "/v1/chat/completions",
                                   .body = chat_body,
                                   .headers = {{"x-mock-latency", "2s"}}});
    auto took = std::chrono::steady_clock::now() - t0;
    check_error(r, 504, "upstream_timeout");
    CHECK(took >= 180ms);
    CHECK(took < 1500ms);
}

TEST_CASE("503 over the client connection limit", "[integration][proxy]")
{
    mock m;
    proxy_proc p("bifrost", m.url(), {"--max-connections", "1"});
    http_connection held(p.port);
    REQUIRE(held.request({.target = "/v1/models"}).status == 200);
    auto r = http_request(p.port, {.target = "/v1/models"});
    CHECK(r.status == 503);
    CHECK(nlohmann::json::parse(r.body)["error"]["code"] == "overloaded");
}

TEST_CASE("upstream statuses and bodies pass through unchanged", "[integration][proxy]")
{
    mock m;
    proxy_proc p("bifrost", m.url());
    auto r500 = http_request(p.port, {.method = "POST",
                                      .target = "/v1/chat/completions",
                                      .body = chat_body,
                                      .headers = {{"x-mock-fail", "500"}}});
    CHECK(r500.status == 500);
    auto r429 = http_request(p.port, {.method = "POST",
                                      .target = "/v1/chat/completions",
                                      .body = chat_body,
                                      .headers = {{"x-mock-fail", "429"}}});
    CHECK(r429.status == 429);
    CHECK(!r429.header("retry-after").empty());
    CHECK(nlohmann::json::parse(r429.body)["error"]["code"] == "rate_limit_exceeded");
}

TEST_CASE("502 for a malformed upstream head: status line, NUL, obs-fold, bad length", "[integration][proxy]")
{
    for (std::string reply :
         {std::string("HTTP/1.1 abc OK\r\nContent-Length: 0\r\n\r\n"),
          std::string("HTTP/1.1 200 OK\r\nX-Bad: a\0b\r\nContent-Length: 0\r\n\r\n", 50),
          std::string("HTTP/1.1 200 OK\r\nX-Fold: a\r\n  b\r\nContent-Length: 0\r\n\r\n"),
          std::string("HTTP/1.1 200 OK\r\nContent-Length: 12x\r\n\r\n"),
          std::string("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nabc"),
          std::string("garbage\r\n\r\n")}) {
        auto up = replying(reply);
        proxy_proc p("bifrost", up.url());
        INFO(reply);
        check_error(http_request(p.port, {.target = "/v1/models"}), 502, "upstream_malformed");
    }
}

TEST_CASE("upstream dying mid-response: truncated response, closed client connection", "[integration][proxy]")
{
    mock m;
    proxy_proc p("bifrost", m.url());
    auto plain = http_request_streamed(
        p.port, {.method = "POST",
                 .target = "/v1/chat/completions",
                 .body = chat_body,
                 .headers = {{"x-mock-fail", "cut"}, {"x-mock-response-bytes", "20000"}}});
    CHECK(plain.head.status == 200);
    CHECK_FALSE(plain.complete);
    auto stream =
        http_request_streamed(p.port, {.method = "POST",
                                       .target = "/v1/chat/completions",
                                       .body = stream_body,
                                       .headers = {{"x-mock-fail", "cut"}, {"x-mock-chunks", "6"}}});
    CHECK(stream.head.status == 200);
    CHECK_FALSE(stream.complete);
    CHECK(stream.head.body.find("[DONE]") == std::string::npos);
    // Raw view: no terminating zero-size chunk was invented.
    auto up = raw_upstream([](int fd, int) {
        raw_upstream::read_request(fd);
        raw_upstream::send_all(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n");
    });
    proxy_proc q("bifrost", up.url());
    auto raw = test_support::raw_request(q.port, "GET /v1/x HTTP/1.1\r\nHost: a\r\n\r\n", 1s);
    CHECK(raw.find("hello") != std::string::npos);
    CHECK(raw.find("\r\n0\r\n\r\n") == std::string::npos);
}

TEST_CASE("503 when every pooled upstream connection is busy", "[integration][proxy]")
{
    mock m;
    proxy_proc p("bifrost", m.url(), {"--pool-max", "1", "--pool-max-idle", "1"});
    test_support::http_reply slow;
    std::thread busy([&] {
        slow = http_request(p.port, {.method = "POST",
                                     .target = "/v1/chat/completions",
                                     .body = chat_body,
                                     .headers = {{"x-mock-latency", "600ms"}}});
    });
    std::this_thread::sleep_for(200ms);
    auto r = http_request(p.port, {.target = "/v1/models"});
    busy.join();
    check_error(r, 503, "overloaded");
    CHECK(slow.status == 200);
    CHECK(http_request(p.port, {.target = "/v1/models"}).status == 200); // the connection is back
}

TEST_CASE("interim 1xx responses from the upstream are dropped, and 101 or endless 1xx get a 502",
          "[integration][proxy]")
{
    raw_upstream up([](int fd, int) {
        for (;;) {
            auto req = raw_upstream::read_request(fd);
            if (req.empty())
                return;
            if (req.find("/early") != std::string::npos)
                raw_upstream::send_all(fd, "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n"
                                           "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
            else if (req.find("/switch") != std::string::npos)
                raw_upstream::send_all(fd, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n");
            else {
                std::string many;
                for (int i = 0; i < 9; ++i)
                    many += "HTTP/1.1 100 Continue\r\n\r\n";
                raw_upstream::send_all(fd, many + "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
            }
        }
    });
    proxy_proc p("bifrost", up.url());
    auto early =
        test_support::raw_request(p.port, "GET /v1/early HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
    CHECK(early.rfind("HTTP/1.1 200 OK\r\n", 0) == 0); // the 103 never reaches the client
    CHECK(early.find("103") == std::string::npos);
    CHECK(early.ends_with("\r\n\r\nok"));
    CHECK(http_request(p.port, {.target = "/v1/switch"}).status == 502);
    CHECK(http_request(p.port, {.target = "/v1/endless"}).status == 502);
}
