// Bad upstreams (issue 3, "Hardening"): a raw fake upstream on port 0 sends a malformed status
// line, bad headers (NUL, obs-fold, over-long) or a bad length, and the client gets a 502; an
// upstream that dies mid-response leaves the client a truncated response and a closed connection.
#include "tests/integration/hardening_env.hpp"

#include <catch2/catch.hpp>
#include <map>

using namespace hardening;
using namespace std::chrono_literals;

using namespace std::string_literals;

namespace {

const std::string ok_tail = "Content-Length: 2\r\nConnection: close\r\n\r\nok";

// Reply by request target: /v1/<case> -> the upstream sees /v1/<case>.
const std::map<std::string, std::string>& bad_replies()
{
    static const std::map<std::string, std::string> replies = {
        {"/v1/status-letters", "HTTP/1.1 2OO OK\r\n" + ok_tail},
        {"/v1/status-4-digits", "HTTP/1.1 2000 OK\r\n" + ok_tail},
        {"/v1/not-http", "HTXP/1.1 200 OK\r\n" + ok_tail},
        {"/v1/garbage", "hello there\r\n\r\n"},
        {"/v1/http2-version", "HTTP/2.0 200 OK\r\n" + ok_tail},
        {"/v1/nul-in-value", "HTTP/1.1 200 OK\r\nX-A: b\0c\r\n"s + ok_tail},
        {"/v1/nul-in-status", "HTTP/1.1 200 O\0K\r\n"s + ok_tail},
        {"/v1/control-in-value", "HTTP/1.1 200 OK\r\nX-A: b\x01\r\n" + ok_tail},
        {"/v1/obs-fold", "HTTP/1.1 200 OK\r\nX-A: b\r\n folded\r\n" + ok_tail},
        {"/v1/bare-cr", "HTTP/1.1 200 OK\r\nX-A: b\rX-B: c\r\n" + ok_tail},
        {"/v1/bad-name", "HTTP/1.1 200 OK\r\nX A: b\r\n" + ok_tail},
        {"/v1/over-long-header",
         "HTTP/1.1 200 OK\r\nX-Big: " + std::string(100 * 1024, 'b') + "\r\n" + ok_tail},
        {"/v1/cl-not-a-number", "HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\nok"},
        {"/v1/cl-negative", "HTTP/1.1 200 OK\r\nContent-Length: -2\r\n\r\nok"},
        {"/v1/cl-differing", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok"},
        {"/v1/cl-list-differing", "HTTP/1.1 200 OK\r\nContent-Length: 2, 3\r\n\r\nok"},
        {"/v1/cl-and-te",
         "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n"},
        {"/v1/bad-chunk-size", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nok\r\n0\r\n\r\n"},
        {"/v1/closed-before-head", ""},
    };
    return replies;
}

std::string die_mid_response(const std::string& target)
{
    if (target == "/v1/cut-length")
        return "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100000\r\n\r\n" +
               std::string(5000, 'a');
    if (target == "/v1/cut-chunked")
        return "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
               "e\r\ndata: {\"a\":1}\n\n\r\ne\r\ndata: {\"a\":2}\n\n\r\n";
    return "HTTP/1.1 404 Not Found\r\n" + ok_tail;
}

} // namespace

TEST_CASE("an upstream sending a malformed response head or length gets the client a 502",
          "[integration][hardening]")
{
    raw_peer::fake_upstream up([](const std::string& target) {
        auto it = bad_replies().find(target);
        return it == bad_replies().end() ? "HTTP/1.1 200 OK\r\n" + ok_tail : it->second;
    });
    env e({}, "http://127.0.0.1:" + std::to_string(up.port()) + "/v1");
    for (const auto& [target, reply] : bad_replies()) {
        INFO(target);
        auto r = raw_peer::exchange(e.port(), "GET " + target + " HTTP/1.1\r\nHost: a\r\n\r\n", 3s);
        check_openai_error(r, 502);
        CHECK(r.body.find("ok") == std::string::npos);
    }
    // A well-formed reply through the same proxy is relayed.
    auto good = raw_peer::exchange(e.port(), "GET /v1/fine HTTP/1.1\r\nHost: a\r\n\r\n");
    CHECK(good.status == 200);
    CHECK(good.body == "ok");
}

TEST_CASE("an upstream dying mid-response leaves a truncated response and a closed connection",
          "[integration][hardening]")
{
    raw_peer::fake_upstream up(die_mid_response);
    env e({}, "http://127.0.0.1:" + std::to_string(up.port()) + "/v1");
    for (const std::string target : {"/v1/cut-length", "/v1/cut-chunked"}) {
        INFO(target);
        raw_peer::client c(e.port());
        c.send("GET " + target + " HTTP/1.1\r\nHost: a\r\n\r\n");
        auto raw = c.read(2s);
        auto r = raw_peer::parse_response(raw);
        CHECK(r.status == 200);
        CHECK_FALSE(r.complete); // no fake clean end: no final chunk, fewer bytes than declared
        CHECK_FALSE(r.body.empty());
        CHECK(raw.find("\r\n0\r\n\r\n") == std::string::npos);
        CHECK(c.closed(500ms));
    }
}

TEST_CASE("an upstream's endless chunk-size line is cut, not buffered", "[integration][hardening]")
{
    raw_peer::fake_upstream up([](const std::string&) {
        return "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;" + std::string(8 << 20, 'e');
    });
    env e({}, "http://127.0.0.1:" + std::to_string(up.port()) + "/v1");
    for (int round = 0; round < 3; ++round) {
        if (round == 1)
            reset_peak_rss(e.proxy_pid()); // after a first round has warmed up the allocator
        auto r = raw_peer::exchange(e.port(), "GET /v1/endless HTTP/1.1\r\nHost: a\r\n\r\n", 3s);
        check_openai_error(r, 502);
    }
    auto baseline = rss_kib(e.proxy_pid());
    auto peak = peak_rss_kib(e.proxy_pid());
    INFO("peak RSS " << peak << " KiB, RSS now " << baseline << " KiB: an 8 MiB chunk-size line, twice");
    CHECK(peak < baseline + 4 * 1024);
}
