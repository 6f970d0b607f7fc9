// End to end on generated requests: the proxy binary in front of a fake upstream, fed the heads of
// the differential tests (tests/support/http_cases.hpp) with the bodies they declare, over real
// sockets. The proxy's own sans-I/O checks, run here in the test, are the oracle: every request
// gets the status they predict, a rejected one reaches nothing upstream, and an accepted one
// reaches the upstream once, with the method, target and body bytes the client sent (a chunked
// body re-framed). This covers what the unit tests cannot: the head reader, the body reads in
// pieces, the relay and the error replies, under ASan in CI.
#include "common/http_headers.hpp"
#include "proxy/header_rewrite.hpp"
#include "proxy/request_guard.hpp"
#include "tests/integration/hardening_env.hpp"
#include "tests/integration/raw_peer.hpp"
#include "tests/support/http_cases.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <catch2/catch.hpp>

namespace {

namespace http = boost::beast::http;
using proxy::http1::framing;

// What the proxy must do with one generated request, by its own checks.
struct expectation
{
    bool skip = false;   // not a case this test can drive to an end (see below)
    unsigned status = 0; // the proxy's reply
    std::string data;    // body bytes the upstream must receive (decoded when chunked)
};

expectation expect(const std::string& head, const std::string& body)
{
    expectation x;
    proxy::http1::request_head h;
    if (auto rej = proxy::check_request(head, proxy::guard_limits{}, h)) {
        x.status = rej->status;
        return x;
    }
    if (!proxy::method_allowed(h.method)) {
        x.status = 405;
        return x;
    }
    if (!proxy::map_target(h.target, "/v1")) {
        x.status = 404;
        return x;
    }
    // "Expect: 100-continue" adds an interim reply this test's client does not read past.
    if (const auto* e = h.find(proxy::http1::field_id::expect);
        e && common::iequals(e->value, "100-continue"))
        x.skip = true;
    auto f = proxy::request_framing(h);
    x.status = 200;
    if (f.kind == framing::content_length) {
        x.data = body.substr(0, static_cast<std::size_t>(f.length));
    } else if (f.kind == framing::chunked) {
        proxy::http1::chunked_decoder dec; // the proxy's defaults
        std::string out(body.size() + 1, '\0');
        auto r = dec.decode(body.data(), body.size(), out.data(), out.size());
        if (dec.failure() != proxy::http1::chunked_decoder::error::none)
            x.status = 400;
        else if (!dec.done())
            x.skip = true; // the proxy would wait for the rest until its body deadline
        x.data.assign(out.data(), r.produced);
    }
    return x;
}

} // namespace

TEST_CASE("generated requests: each gets the status the proxy's checks predict, and only the accepted "
          "ones reach the upstream, intact",
          "[integration][hardening]")
{
    static const std::string reply =
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"ok\":true}";
    raw_peer::fake_upstream up([](const std::string&) { return reply; });
    hardening::env e({}, "http://127.0.0.1:" + std::to_string(up.port()) + "/v1");
    test_support::http_case_generator g(test_support::generated_seed(2026));
    std::size_t forwarded = 0, refused = 0;
    for (int i = 0, n = test_support::generated_case_count(400); i < n; ++i) {
        auto head = test_support::cut_head(g.request());
        if (head.empty())
            continue;
        // The body the head declares: that many bytes for a Content-Length, a generated chunked body
        // (damaged now and then) for chunked. Nothing when the head is refused anyway.
        proxy::http1::request_head h;
        std::string body;
        if (!proxy::check_request(head, proxy::guard_limits{}, h)) {
            auto f = proxy::request_framing(h);
            if (f.kind == framing::content_length)
                body = g.letters(static_cast<std::size_t>(f.length));
            else if (f.kind == framing::chunked)
                body = test_support::chunked_body(g);
        }
        auto x = expect(head, body);
        if (x.skip)
            continue;
        INFO(test_support::escaped(head + body));
        auto before = up.requests().size();
        auto r = raw_peer::exchange(e.port(), head + body);
        auto received = up.requests();
        if (x.status != 200) {
            ++refused;
            // The proxy knows a HEAD once the request line passed (check_request filled the
            // method): its refusal has no body then.
            hardening::check_openai_error(r, x.status, h.method == "HEAD");
            CHECK(received.size() == before);
            continue;
        }
        ++forwarded;
        REQUIRE(r.status == 200);
        CHECK(r.body == (h.method == "HEAD" ? "" : "{\"ok\":true}")); // no body answers HEAD
        REQUIRE(received.size() == before + 1);
        http::request_parser<http::string_body> p;
        p.body_limit(boost::none);
        p.eager(true);
        boost::beast::error_code ec;
        p.put(boost::asio::buffer(received.back()), ec);
        REQUIRE_FALSE(ec);
        REQUIRE(p.is_done());
        CHECK(std::string_view(p.get().method_string()) == h.method);
        CHECK(std::string_view(p.get().target()) == h.target);
        CHECK(p.get().body() == x.data);
    }
    // Both ways are exercised.
    CHECK(forwarded > 40);
    CHECK(refused > 40);
}
