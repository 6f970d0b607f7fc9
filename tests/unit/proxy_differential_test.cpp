// Differential and round-trip tests of the proxy's own HTTP/1 parsing (proxy/http1.*,
// proxy/request_guard.*, proxy/header_rewrite.*) on generated heads and bodies.
//
// The proxy parses heads without Beast, and stricter than Beast (tests/unit/proxy_guard_test.cpp
// lists Beast's holes). A parser of one's own is where request smuggling comes from: two parsers
// that disagree on where a message ends. So, on many thousands of heads built from the pieces
// smuggling uses (doubled or odd Content-Length, Transfer-Encoding lists, bare CR and LF, NUL,
// obs-fold, spaces before colons) and then mutated byte by byte:
// - whatever the proxy accepts, Beast's parser accepts too and reads the same method, target,
//   version, status and body framing (the proxy is never the looser of the two, but for two
//   response cases named where they are allowed);
// - the head the proxy writes upstream for an accepted request is itself accepted, frames the
//   body the same way, carries one Host (the configured one) and no hop-by-hop field;
// - every chunked body the decoder completes, Beast's parser completes with the same bytes and
//   ends at the same byte, whatever the input split.
// Seeds are fixed, so a failure is reproducible: INFO prints the case. (proxy_http1_test.cpp's
// mutation test checks that damaged heads never crash the parsers; this one checks meaning.)
#include "common/http_headers.hpp"
#include "common/url.hpp"
#include "proxy/header_rewrite.hpp"
#include "proxy/request_guard.hpp"
#include "tests/support/beast_reference.hpp"
#include "tests/support/http_cases.hpp"

#include <algorithm>
#include <boost/asio/buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace {

namespace http = boost::beast::http;
using proxy::http1::framing;
using test_support::beast_framing;
using test_support::beast_head;
using test_support::chunked_body;
using test_support::chunked_not_last;
using test_support::cut_head;
using test_support::escaped;
using test_support::normalised;
using test_support::parse_with_beast;
using test_support::same;
using generator = test_support::http_case_generator;

proxy::provider_config provider()
{
    proxy::provider_config p;
    p.name = "diff";
    p.upstream = *common::parse_url("https://api.example.com/base/v1");
    p.headers = {{"X-Added", "1"}};
    return p;
}

const proxy::guard_limits roomy{1 << 20, 1000, 1 << 20, ~0ull, 1024};

} // namespace

TEST_CASE("differential: every request head the guard accepts, Beast reads alike",
          "[unit][guard][differential]")
{
    generator g(test_support::generated_seed(20261126));
    std::size_t accepted = 0, rejected = 0;
    for (int i = 0, n = test_support::generated_case_count(20000); i < n; ++i) {
        auto head = cut_head(g.request());
        if (head.empty())
            continue;
        INFO(escaped(head));
        proxy::http1::request_head ours;
        if (auto rej = proxy::check_request(head, {}, ours)) {
            CHECK(rej->status >= 400);
            CHECK(rej->status < 600);
            ++rejected;
            continue;
        }
        ++accepted;
        beast_head<true> b;
        parse_with_beast(head, b);
        REQUIRE_FALSE(b.ec);
        const auto& bh = b.p.get();
        CHECK(std::string_view(bh.method_string()) == ours.method);
        CHECK(std::string_view(bh.target()) == ours.target);
        CHECK(static_cast<int>(bh.version()) == ours.version);
        CHECK(same(normalised(proxy::request_framing(ours)), beast_framing(b.p)));
    }
    // Both sides are reached: enough accepted heads to compare, enough rejected ones to matter.
    CHECK(accepted > 1000);
    CHECK(rejected > 5000);
}

TEST_CASE("round trip: the head written upstream is accepted and frames the body alike",
          "[unit][proxy][differential]")
{
    generator g(test_support::generated_seed(7));
    const auto prov = provider();
    std::size_t written = 0;
    for (int i = 0, n = test_support::generated_case_count(20000); i < n; ++i) {
        auto head = cut_head(g.request());
        proxy::http1::request_head in;
        if (head.empty() || proxy::check_request(head, {}, in) || !proxy::method_allowed(in.method) ||
            !proxy::map_target(in.target, prov.upstream.base_path))
            continue;
        ++written;
        INFO(escaped(head));
        std::string out, id;
        proxy::write_request_head(out, in, {&prov, "192.0.2.1", false, false, ""}, id);
        INFO(escaped(out));
        proxy::http1::request_head up;
        REQUIRE_FALSE(proxy::check_request(out, roomy, up));
        CHECK(up.method == in.method);
        CHECK(up.target == *proxy::map_target(in.target, prov.upstream.base_path));
        CHECK(up.version == 11);
        CHECK(same(proxy::request_framing(up), proxy::request_framing(in)));
        REQUIRE(up.count(proxy::http1::field_id::host) == 1);
        CHECK(up.find(proxy::http1::field_id::host)->value == "api.example.com");
        CHECK(up.count(proxy::http1::field_id::x_request_id) == 1);
        CHECK(up.find(proxy::http1::field_id::x_request_id)->value == id);
        CHECK(up.count(proxy::http1::field_id::x_forwarded_for) == 1);
        CHECK(up.find(proxy::http1::field_id::x_forwarded_for)->value == "192.0.2.1");
        for (const auto& f : up.fields) {
            INFO(f.name);
            CHECK_FALSE(proxy::http1::hop_by_hop(f.id));
            CHECK(f.id != proxy::http1::field_id::expect);
            CHECK(f.id != proxy::http1::field_id::forwarded);
            // A field the client's Connection named is gone, unless it frames the body.
            if (f.id != proxy::http1::field_id::content_length &&
                f.id != proxy::http1::field_id::transfer_encoding)
                CHECK_FALSE(in.named_by_connection(f.name));
        }
        // Beast reads the written head the same way too.
        beast_head<true> b;
        parse_with_beast(out, b);
        REQUIRE_FALSE(b.ec);
        CHECK(same(normalised(proxy::request_framing(up)), beast_framing(b.p)));
    }
    CHECK(written > 1000);
}

TEST_CASE("differential: every response head the proxy relays, Beast reads alike",
          "[unit][http1][differential]")
{
    generator g(test_support::generated_seed(42));
    std::size_t relayed = 0, refused = 0, read_to_close = 0;
    for (int i = 0, n = test_support::generated_case_count(20000); i < n; ++i) {
        auto head = cut_head(g.response());
        if (head.empty())
            continue;
        const bool head_request = g.chance(10);
        INFO(escaped(head) << (head_request ? " (answering HEAD)" : ""));
        proxy::http1::response_head ours;
        std::optional<framing> f;
        if (proxy::http1::parse_response(head, ours))
            f = proxy::http1::response_framing(ours, head_request);
        if (!f) {
            ++refused;
            continue;
        }
        ++relayed;
        // The proxy also reads a status line without the space before an empty reason
        // ("HTTP/1.1 200"), as nginx does; Beast wants the space. Compared with it added.
        const bool no_reason_space = head.find("\r\n") == 12;
        beast_head<false> b;
        parse_with_beast(no_reason_space ? head.substr(0, 12) + " " + head.substr(12) : head, b,
                         head_request);
        // The one place the proxy is the looser: a response whose codings end in one other than
        // chunked ("chunked, identity") is read until the upstream closes (RFC 9112 6.3); Beast
        // refuses it. The connection is not reused after it, so nothing can follow it. (A response
        // without a body, to HEAD or 204/304, has no framing to disagree on.)
        if (b.ec == http::error::bad_transfer_encoding && chunked_not_last(ours)) {
            CHECK((f->kind == framing::until_close || f->kind == framing::none));
            ++read_to_close;
            continue;
        }
        REQUIRE_FALSE(b.ec);
        CHECK(b.p.get().result_int() == ours.status);
        CHECK(static_cast<int>(b.p.get().version()) == ours.version);
        if (head_request)
            CHECK(f->kind == framing::none); // Beast's skip(): whatever the head declares
        else
            CHECK(same(normalised(*f), beast_framing(b.p)));
    }
    CHECK(relayed > 1000);
    CHECK(refused > 5000);
}

TEST_CASE("differential: every chunked body the decoder completes, Beast's parser ends alike",
          "[unit][http1][differential]")
{
    test_support::case_generator g(test_support::generated_seed(99));
    const std::string head = "POST /v1/x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
    const std::string next = "GET /v1/next HTTP/1.1\r\nHost: a\r\n\r\n";
    std::size_t completed = 0, refused = 0;
    for (int i = 0, n = test_support::generated_case_count(20000); i < n; ++i) {
        const std::string body = chunked_body(g) + next;
        // The decoder as the relay drives it: input in pieces, output in a bounded buffer.
        proxy::http1::chunked_decoder dec;
        std::string data, out(1 + g.below(64), '\0');
        std::size_t used = 0;
        const std::size_t step = 1 + g.below(32);
        while (!dec.done() && dec.failure() == proxy::http1::chunked_decoder::error::none &&
               used < body.size()) {
            auto r =
                dec.decode(body.data() + used, std::min(step, body.size() - used), out.data(), out.size());
            used += r.consumed;
            data.append(out.data(), r.produced);
        }
        if (!dec.done()) {
            ++refused;
            continue;
        }
        ++completed;
        INFO(escaped(body));
        CHECK(dec.data_bytes() == data.size());
        http::request_parser<http::string_body> p;
        p.body_limit(boost::none);
        p.eager(true);
        boost::beast::error_code ec;
        const std::string wire = head + body;
        std::size_t at = 0;
        while (!p.is_done() && at < wire.size()) {
            auto k = p.put(boost::asio::buffer(wire.data() + at, wire.size() - at), ec);
            at += k;
            if (ec || k == 0)
                break;
        }
        REQUIRE_FALSE(ec);
        REQUIRE(p.is_done());
        CHECK(p.get().body() == data);
        CHECK(at - head.size() == used); // the body ends at the same byte: the next request follows
    }
    CHECK(completed > 5000);
    CHECK(refused > 1000);
}
