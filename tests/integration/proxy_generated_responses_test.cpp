// End to end on generated upstream responses: the proxy binary in front of a fake upstream that
// answers with the response heads of the differential tests (tests/support/http_cases.hpp) and
// the bodies they declare, then closes. The proxy's own sans-I/O checks, run here in the test,
// are the oracle:
// - a head they refuse gets the client a 502, OpenAI-shaped;
// - a head they accept reaches the client with its status, without hop-by-hop fields, with the
//   body bytes the upstream sent (a chunked body decoded and re-framed, one read until close
//   re-framed), complete;
// - a chunked body that is malformed or cut gets the client a truncated reply and a closed
//   connection, never a clean end; or a 502 when the fault came before the proxy sent its head.
// This is the upstream side of the session that tests/fuzz checks sans-I/O: the head reader, the
// framing decision, the relay in each framing and the error replies, under ASan in CI.
#include "common/http_headers.hpp"
#include "proxy/http1.hpp"
#include "tests/integration/hardening_env.hpp"
#include "tests/integration/raw_peer.hpp"
#include "tests/support/http_cases.hpp"

#include <catch2/catch.hpp>
#include <mutex>

namespace {

using proxy::http1::framing;

// What the client must see for one generated upstream answer.
struct expectation
{
    bool skip = false;    // not a case this test can drive to an end (see below)
    unsigned status = 0;  // 502 when the proxy refuses the upstream's head
    std::string data;     // the body bytes the client must receive (all of them when complete)
    bool complete = true; // false: a malformed or cut chunked body, relayed up to the fault
    std::string upstream; // what the fake upstream sends (head and body)
};

expectation make_case(test_support::http_case_generator& g)
{
    expectation x;
    auto head = test_support::cut_head(g.response());
    if (head.empty()) {
        x.skip = true;
        return x;
    }
    proxy::http1::response_head h;
    std::optional<framing> f;
    if (proxy::http1::parse_response(head, h))
        f = proxy::http1::response_framing(h, false);
    if (!f) {
        x.status = 502;
        x.upstream = head + "body";
        return x;
    }
    // Interim responses (1xx) are followed by the real one, which this upstream never sends.
    if (h.status < 200) {
        x.skip = true;
        return x;
    }
    x.status = h.status;
    std::string body;
    switch (f->kind) {
    case framing::content_length:
        if (f->length > 64 * 1024) {
            x.skip = true; // a generated length can be huge; the framing is what is tested
            return x;
        }
        body = g.letters(static_cast<std::size_t>(f->length));
        x.data = body;
        break;
    case framing::chunked: {
        body = test_support::chunked_body(g);
        proxy::http1::chunked_decoder dec; // the proxy's defaults
        std::string out(body.size() + 1, '\0');
        auto r = dec.decode(body.data(), body.size(), out.data(), out.size());
        x.data.assign(out.data(), r.produced);
        x.complete = dec.done(); // a failure, or the upstream closing before the last chunk
        break;
    }
    case framing::until_close:
        body = g.letters(g.below(300));
        x.data = body;
        break;
    case framing::none: // 204, 304
        break;
    }
    x.upstream = head + body;
    return x;
}

} // namespace

TEST_CASE("generated responses: each relayed as the proxy's checks predict, bodies intact, faults "
          "never a clean end",
          "[integration][hardening]")
{
    std::mutex m;
    std::string reply; // the current case's upstream answer
    raw_peer::fake_upstream up([&](const std::string&) {
        std::lock_guard lock(m);
        return reply;
    });
    hardening::env e({}, "http://127.0.0.1:" + std::to_string(up.port()) + "/v1");
    test_support::http_case_generator g(test_support::generated_seed(20261126));
    std::size_t relayed = 0, refused = 0, cut = 0;
    for (int i = 0, n = test_support::generated_case_count(400); i < n; ++i) {
        auto x = make_case(g);
        if (x.skip)
            continue;
        {
            std::lock_guard lock(m);
            reply = x.upstream;
        }
        INFO(test_support::escaped(x.upstream));
        auto r = raw_peer::exchange(e.port(), "GET /v1/models HTTP/1.1\r\nHost: proxy\r\n\r\n");
        if (x.status == 502) {
            ++refused;
            hardening::check_openai_error(r, 502);
            continue;
        }
        if (!x.complete && r.status == 502) {
            // The fault came with the head's bytes, before the proxy had sent its head: the
            // client can still get an honest 502 (docs/HARDENING.md, "bad chunk size in the first
            // body bytes").
            ++cut;
            hardening::check_openai_error(r, 502);
            continue;
        }
        REQUIRE(r.status == x.status);
        CHECK(!r.header("x-request-id").empty());
        for (const char* hop : {"keep-alive", "te", "trailer", "upgrade", "proxy-connection"})
            CHECK(r.header(hop).empty());
        CHECK((r.header("connection").empty() || r.header("connection") == "close"));
        CHECK((r.header("transfer-encoding").empty() || r.header("transfer-encoding") == "chunked"));
        if (x.complete) {
            ++relayed;
            CHECK(r.complete);
            CHECK(r.body == x.data);
        } else {
            ++cut;
            CHECK_FALSE(r.complete);
            CHECK(x.data.substr(0, r.body.size()) == r.body); // what arrived is a prefix of the body
        }
    }
    // Every way is exercised.
    CHECK(relayed > 100);
    CHECK(refused > 40);
    CHECK(cut > 5);
}
