// Deadlines of the proxy (issue 3, "Hardening"): slowloris heads and slow bodies get 408 before
// any upstream contact, a slow upstream 504, an idle stream is cut, and a slow-reading client
// neither makes the proxy buffer without bound nor holds it forever.
#include "tests/integration/hardening_env.hpp"

#include <catch2/catch.hpp>
#include <thread>

using namespace hardening;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

namespace {

std::string chat_request(const std::string& extra_headers, bool stream)
{
    std::string body = std::string(R"({"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}])") +
                       (stream ? R"(,"stream":true})" : "}");
    return "POST /v1/chat/completions HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n" +
           extra_headers + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

long ms_since(clock_type::time_point t0)
{
    return static_cast<long>(
        std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - t0).count());
}

// Sends a streamed chat request with the mock's `knobs` and checks that the proxy cut the stream
// at a deadline: a 200 head, no clean end (no last chunk, no [DONE]), and the connection closed
// by the proxy after at least `at_least_ms`, well before the client's own read timeout.
raw_peer::response check_stream_cut(const env& e, const std::string& knobs, long at_least_ms)
{
    raw_peer::client c(e.port());
    auto t0 = clock_type::now();
    c.send(chat_request(knobs, true));
    auto r = raw_peer::parse_response(c.read(2500ms));
    auto elapsed = ms_since(t0);
    CHECK(r.status == 200);
    CHECK_FALSE(r.complete); // never a fake clean end
    CHECK(r.body.find("[DONE]") == std::string::npos);
    CHECK(elapsed >= at_least_ms);
    CHECK(elapsed < 1500);
    return r;
}

} // namespace

TEST_CASE("slowloris: a head trickling in gets 408 at the header deadline", "[integration][hardening]")
{
    env e({"--header-timeout", "300ms"});
    auto before = e.upstream_requests();
    raw_peer::client c(e.port());
    auto t0 = clock_type::now();
    c.send("GET /v1/models HTTP/1.1\r\n");
    std::string got;
    for (int i = 0; i < 20 && got.empty(); ++i) { // a header line every 100 ms, never the blank line
        c.send("X-Slow-" + std::to_string(i) + ": v\r\n");
        got = c.read(100ms, [](const std::string& s) { return !s.empty(); });
    }
    auto r = raw_peer::parse_response(got + c.read(1s));
    auto elapsed = ms_since(t0);
    check_openai_error(r, 408);
    CHECK(elapsed >= 250);
    CHECK(elapsed < 1500);
    CHECK(c.closed());
    CHECK(e.upstream_requests() == before);
}

TEST_CASE("an idle keep-alive connection is closed silently", "[integration][hardening]")
{
    env e({"--keepalive-timeout", "300ms"});
    raw_peer::client c(e.port());
    auto t0 = clock_type::now();
    CHECK(c.read(1500ms).empty()); // no 408 for a connection that never started a request
    CHECK(ms_since(t0) < 1500);
}

TEST_CASE("slow body: a body below the minimum rate gets 408 before any upstream contact",
          "[integration][hardening]")
{
    env e({"--body-timeout", "300ms"});
    auto before = e.upstream_requests();
    raw_peer::client c(e.port());
    auto t0 = clock_type::now();
    c.send("POST /v1/echo HTTP/1.1\r\nHost: a\r\nContent-Length: 100000\r\n\r\n");
    raw_peer::response r;
    for (int i = 0; i < 20 && r.status == 0; ++i) { // one byte every 100 ms
        c.send("x");
        r = raw_peer::parse_response(
            c.read(100ms, [](const std::string& s) { return s.find("\r\n\r\n") != s.npos; }));
    }
    if (r.status != 0 && !r.complete)
        r = raw_peer::parse_response(r.head + c.read(1s));
    auto elapsed = ms_since(t0);
    check_openai_error(r, 408);
    CHECK(elapsed >= 250);
    CHECK(elapsed < 1500);
    CHECK(e.upstream_requests() == before);
}

TEST_CASE("an upstream that does not answer in time gets the client a 504", "[integration][hardening]")
{
    env e({"--first-byte-timeout", "300ms"});
    auto t0 = clock_type::now();
    auto r = raw_peer::exchange(e.port(), chat_request("x-mock-latency: 3s\r\n", false), 2500ms);
    auto elapsed = ms_since(t0);
    check_openai_error(r, 504);
    CHECK(elapsed >= 250);
    CHECK(elapsed < 1500);
    // Within the budget: answered.
    CHECK(raw_peer::exchange(e.port(), chat_request("x-mock-latency: 50ms\r\n", false)).status == 200);
}

TEST_CASE("an idle gap in a stream cuts it: truncated response and closed connection",
          "[integration][hardening]")
{
    env e({"--stream-idle-timeout", "300ms"});
    // A gap under the limit streams to the end.
    auto ok =
        raw_peer::exchange(e.port(), chat_request("x-mock-token-gap: 30ms\r\nx-mock-chunks: 4\r\n", true));
    CHECK(ok.status == 200);
    CHECK(ok.complete);
    CHECK(ok.body.find("[DONE]") != std::string::npos);

    check_stream_cut(e, "x-mock-token-gap: 3s\r\nx-mock-chunks: 3\r\n", 250);
}

TEST_CASE("the request timeout cuts a stream that is still flowing: truncated response, closed connection",
          "[integration][hardening]")
{
    // Every gap is far under the idle deadline; only the whole request's deadline can end it.
    env e({"--stream-idle-timeout", "5s", "--request-timeout", "400ms"});
    auto r = check_stream_cut(e, "x-mock-token-gap: 50ms\r\nx-mock-chunks: 60\r\n", 350);
    CHECK(r.body.find("data: ") != std::string::npos); // it did stream before the cut
}

TEST_CASE("the request timeout bounds each request, not the connection: keep-alive requests each get "
          "their own budget",
          "[integration][hardening]")
{
    env e({"--request-timeout", "800ms"});
    raw_peer::client c(e.port());
    for (int i = 0; i < 2; ++i) {
        INFO("request " << i);
        // 200 ms of upstream time, then longer idle than the whole budget: were the first
        // request's deadline still in force, the idle connection would be closed under it.
        c.send(chat_request("x-mock-latency: 200ms\r\n", false));
        auto r = c.read_response(2s);
        CHECK(r.status == 200);
        CHECK(r.complete);
        std::this_thread::sleep_for(900ms);
    }
}

TEST_CASE("the request timeout bounds a slow request body under its own deadline: 408",
          "[integration][hardening]")
{
    env e({"--body-timeout", "30s", "--request-timeout", "300ms"});
    auto before = e.upstream_requests();
    raw_peer::client c(e.port());
    auto t0 = clock_type::now();
    c.send("POST /v1/echo HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n0123456789");
    auto r = raw_peer::parse_response(c.read(2500ms));
    auto elapsed = ms_since(t0);
    check_openai_error(r, 408);
    CHECK(elapsed >= 250);
    CHECK(elapsed < 1500);
    CHECK(e.upstream_requests() == before);
}

TEST_CASE("a slow-reading client does not make the proxy buffer the response", "[integration][hardening]")
{
    env e;
    // Warm up (allocators, pool, first connection) before taking the baseline.
    REQUIRE(raw_peer::exchange(e.port(), "GET /v1/blob?bytes=200000 HTTP/1.1\r\nHost: a\r\n\r\n").status ==
            200);
    auto baseline = rss_kib(e.proxy_pid());
    REQUIRE(baseline > 0);
    reset_peak_rss(e.proxy_pid());

    raw_peer::client c(e.port(), 16 * 1024);
    c.send("GET /v1/blob?bytes=10485760 HTTP/1.1\r\nHost: a\r\n\r\n");
    std::size_t received = 0;
    std::uint64_t peak = baseline;
    auto t0 = clock_type::now();
    while (ms_since(t0) < 1200) { // ~16 KiB every 20 ms: about 0.8 MB/s against a 10 MB body
        received += c.read_some(16 * 1024, 100ms);
        peak = std::max(peak, rss_kib(e.proxy_pid()));
        std::this_thread::sleep_for(20ms);
    }
    peak = std::max(peak, peak_rss_kib(e.proxy_pid()));
    INFO("baseline " << baseline << " KiB, peak " << peak << " KiB, received " << received << " bytes");
    CHECK(received > 0);
    CHECK(received < 5 * 1024 * 1024);
    CHECK(peak - baseline < 3 * 1024); // a 10 MB body buffered would show as +10 MB
}

TEST_CASE("a client that stops reading is dropped at the write deadline", "[integration][hardening]")
{
    env e({"--write-timeout", "300ms"});
    raw_peer::client c(e.port(), 16 * 1024);
    c.send("GET /v1/blob?bytes=10485760 HTTP/1.1\r\nHost: a\r\n\r\n");
    std::this_thread::sleep_for(800ms); // read nothing: the proxy's writes stall
    auto t0 = clock_type::now();
    std::size_t drained = 0;
    for (std::size_t n = 1; n > 0 && ms_since(t0) < 2000;)
        drained += n = c.read_some(64 * 1024, 300ms);
    INFO("drained " << drained << " bytes");
    CHECK(drained < 10 * 1024 * 1024); // the proxy gave up before the body was complete
    CHECK(c.closed(200ms));
}
