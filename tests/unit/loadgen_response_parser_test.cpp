#include "bench/loadgen/response_parser.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

using loadgen::response_parser;

namespace {

struct parsed
{
    bool done = false;
    bool failed = false;
    unsigned status = 0;
    bool keep_alive = false;
    double server_timing = -1;
    std::string body;
    std::size_t left = 0; // bytes after the response (the next one on the connection)
};

// Feeds `wire` in pieces of `step` bytes the way the connection does: a buffer that keeps what the
// parser did not use and appends the next read.
parsed feed(const std::string& wire, std::size_t step, bool eof = false)
{
    response_parser p;
    parsed out;
    std::string buffer;
    std::size_t at = 0;
    while (!p.done() && !p.failed()) {
        bool progressed = false;
        while (!buffer.empty() && !p.done() && !p.failed()) {
            std::string_view body;
            auto used = p.put(buffer, body);
            out.body.append(body);
            buffer.erase(0, used);
            if (used == 0)
                break;
            progressed = true;
        }
        if (p.done() || p.failed())
            break;
        if (at >= wire.size()) {
            if (eof)
                p.put_eof();
            break;
        }
        buffer.append(wire.substr(at, step));
        at += step;
        (void)progressed;
    }
    out.done = p.done();
    out.failed = p.failed();
    out.status = p.status();
    out.keep_alive = p.keep_alive();
    out.server_timing = p.server_timing_ms();
    out.left = buffer.size() + (wire.size() > at ? wire.size() - at : 0);
    return out;
}

} // namespace

TEST_CASE("response parser: content-length bodies in any split", "[loadgen][parser]")
{
    std::string wire = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\ncontent-length: 11\r\n"
                       "Server-Timing: proxy;dur=0.25\r\n\r\nhello world";
    for (std::size_t step : {1, 2, 7, 16, 4096}) {
        auto r = feed(wire + "HTTP/1.1", step);
        INFO("step " << step);
        CHECK(r.done);
        CHECK(r.status == 200);
        CHECK(r.keep_alive);
        CHECK(r.body == "hello world");
        CHECK(r.server_timing == Approx(0.25));
        CHECK(r.left == 8); // the next response's first bytes stay for the next exchange
    }
}

TEST_CASE("response parser: the last Server-Timing field naming the proxy counts", "[loadgen][parser]")
{
    // A proxy relays its upstream's Server-Timing fields and appends its own: behind a second
    // proxy (or a gateway with a metric of that name) the first one would be the wrong proxy's.
    auto timing_of = [](const std::string& fields) {
        return feed("HTTP/1.1 200 OK\r\n" + fields + "Content-Length: 0\r\n\r\n", 4096).server_timing;
    };
    CHECK(timing_of("Server-Timing: proxy;dur=7.5\r\nServer-Timing: proxy;dur=0.25\r\n") == Approx(0.25));
    CHECK(timing_of("Server-Timing: proxy;dur=7.5\r\nServer-Timing: db;dur=3\r\n") == Approx(7.5));
    CHECK(timing_of("Server-Timing: proxy;dur=7.5\r\nServer-Timing: proxy;dur=bad\r\n") == Approx(7.5));
    CHECK(timing_of("Server-Timing: cache, proxy;dur=2\r\nX: y\r\nserver-timing: proxy;dur=1\r\n") ==
          Approx(1));
    CHECK(timing_of("Server-Timing: db;dur=3\r\n") == -1);
}

TEST_CASE("response parser: chunked with extensions and trailers", "[loadgen][parser]")
{
    std::string wire = "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n"
                       "5;ext=1\r\ndata:\r\nB ; e = \"q\"\r\n x\n\nmore...\r\n0\r\nX-Trailer: 1\r\n\r\n";
    for (std::size_t step : {1, 3, 5, 64}) {
        auto r = feed(wire, step);
        INFO("step " << step);
        CHECK(r.done);
        CHECK(r.body == "data: x\n\nmore...");
        CHECK(r.left == 0);
    }
}

TEST_CASE("response parser: keep-alive and close", "[loadgen][parser]")
{
    CHECK_FALSE(
        feed("HTTP/1.1 200 OK\r\nConnection: foo, close\r\nContent-Length: 0\r\n\r\n", 100).keep_alive);
    CHECK_FALSE(feed("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", 100).keep_alive);
    CHECK(feed("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n", 100).keep_alive);
    // No framing: the body runs to the end of the connection.
    auto r = feed("HTTP/1.1 200 OK\r\n\r\nabc", 2, true);
    CHECK(r.done);
    CHECK(r.body == "abc");
    CHECK_FALSE(r.keep_alive);
    // Without the end of the connection it is not complete.
    CHECK_FALSE(feed("HTTP/1.1 200 OK\r\n\r\nabc", 2, false).done);
}

TEST_CASE("response parser: statuses without a body and interim responses", "[loadgen][parser]")
{
    auto r = feed("HTTP/1.1 204 No Content\r\n\r\n", 5);
    CHECK(r.done);
    CHECK(r.status == 204);
    CHECK(r.keep_alive);
    r = feed("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nbusy",
             6);
    CHECK(r.done);
    CHECK(r.status == 503);
    CHECK(r.body == "busy");
    r = feed("HTTP/1.1 429 Too Many Requests\r\nRetry-After: 1\r\nContent-Length: 2\r\n\r\n{}", 4096);
    CHECK(r.status == 429);
    CHECK(r.body == "{}");
}

TEST_CASE("response parser: malformed input is an error, not a guess", "[loadgen][parser]")
{
    std::vector<std::string> bad = {
        "HTTP/1.1 20 OK\r\n\r\n",
        "HTTP/2.0 200 OK\r\n\r\n",
        "garbage\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 5x\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello",
        "HTTP/1.1 200 OK\r\nBad Name: 1\r\n\r\n",
        "HTTP/1.1 200 OK\r\nNoColon\r\n\r\n",
        "HTTP/1.1 200 OK\r\n folded: 1\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1234567890abcdef0\r\n",
        // Found by loadgen_response_differential_test.cpp (Beast refused each, bench did not):
        "HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nContent-Length: 3\r\n\r\nabc",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked:\r\n\r\n0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: gz;ip, chunked\r\n\r\n0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked;q=1\r\n\r\n0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nConnection: k eep-alive\r\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3; bad ext\r\nabc\r\n0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\t\r\nabc\r\n0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nnot a trailer\r\n\r\n",
    };
    for (const auto& w : bad) {
        INFO(w);
        auto r = feed(w, 3);
        CHECK(r.failed);
        CHECK_FALSE(r.done);
    }
    // A head that never ends is refused once it passes the limit.
    CHECK(feed("HTTP/1.1 200 OK\r\nX: " + std::string(response_parser::max_head, 'a'), 8192).failed);
    // A truncated body at the end of the connection is an error.
    response_parser p;
    std::string_view body;
    std::string wire = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc";
    CHECK(p.put(wire, body) == wire.size()); // the head and the first body piece in one call
    CHECK(body == "abc");
    CHECK_FALSE(p.put_eof());
    CHECK(p.failed());
}
