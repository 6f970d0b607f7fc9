// Unit tests of the proxy's request hardening (proxy/request_guard.hpp), table-driven and sans I/O.
// verdict() runs the proxy's whole head check (check_request: raw scan, split, parsed-head rules).
// Beast's request_parser is used only to document what Beast would have accepted: the "Beast
// accepts" tables prove the holes the guard closes (the proxy no longer parses with Beast).
#include "proxy/request_guard.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <catch2/catch.hpp>
#include <optional>
#include <string>
#include <vector>

using namespace std::string_literals;

namespace {

namespace http = boost::beast::http;

struct parse_result
{
    boost::beast::error_code ec; // Beast's verdict on the head
    std::optional<http::request_header<>> head;
    bool chunked = false;
};

parse_result parse(const std::string& bytes)
{
    http::request_parser<http::empty_body> p;
    p.header_limit(64 * 1024);
    p.body_limit(boost::none); // as the proxy: the body limit is the guard's (413), not Beast's
    parse_result r;
    p.put(boost::asio::buffer(bytes), r.ec);
    if (r.ec == http::error::need_more && p.is_header_done())
        r.ec = {};
    if (!r.ec && p.is_header_done()) {
        r.head = p.get().base();
        r.chunked = p.chunked();
    }
    return r;
}

// The proxy's whole head check.
unsigned verdict(const std::string& bytes, const proxy::guard_limits& limits = {})
{
    proxy::http1::request_head head;
    if (auto r = proxy::check_request(bytes, limits, head))
        return r->status;
    return 0;
}

// The split head of bytes the raw scan accepts.
proxy::http1::request_head split(const std::string& bytes)
{
    proxy::http1::request_head head;
    REQUIRE_FALSE(proxy::scan_raw_head(bytes, {}, head));
    return head;
}

std::string req(const std::string& start, const std::string& fields)
{
    return start + "\r\n" + fields + "\r\n";
}

struct row
{
    const char* name;
    std::string bytes;
    unsigned status; // 0 = accepted
};

const std::string get = "GET /v1/models HTTP/1.1";
const std::string post = "POST /v1/chat/completions HTTP/1.1";

} // namespace

TEST_CASE("raw head scan: line endings, control bytes, names, obs-fold", "[unit][guard]")
{
    std::vector<row> rows = {
        {"plain GET", req(get, "Host: a\r\n"), 0},
        {"HTTP/1.0 POST with query", req("POST /v1/x?a=b HTTP/1.0", "Host: a\r\nContent-Length: 5\r\n"), 0},
        {"UTF-8 (obs-text) in a value", req(get, "Host: a\r\nX-Name: caf\xc3\xa9\r\n"), 0},
        {"tab inside a value", req(get, "Host: a\r\nX-A: b\tc\r\n"), 0},
        {"empty value", req(get, "Host: a\r\nX-Empty:\r\n"), 0},
        {"bare LF line endings", "GET /v1/models HTTP/1.1\nHost: a\n\n", 400},
        {"bare LF in one header line", req(get, "Host: a\nX-A: b\r\n"), 400},
        {"bare LF inside the request line", "GET /v1/models\n HTTP/1.1\r\nHost: a\r\n\r\n", 400},
        {"bare CR in a value", req(get, "Host: a\r\nX-A: b\rc\r\n"), 400},
        {"NUL in a value", req(get, "Host: a\r\nX-A: b\0c\r\n"s), 400},
        {"control byte 0x01 in a value", req(get, "Host: a\r\nX-A: b\x01\r\n"), 400},
        {"DEL in a value", req(get, "Host: a\r\nX-A: b\x7f\r\n"), 400},
        {"ESC in a value", req(get, "Host: a\r\nX-A: \x1b[31m\r\n"), 400},
        {"obs-fold with a space", req(get, "Host: a\r\nX-A: b\r\n c\r\n"), 400},
        {"obs-fold with a tab", req(get, "Host: a\r\nX-A: b\r\n\tc\r\n"), 400},
        {"whitespace before the first header", req(get, " Host: a\r\n"), 400},
        {"space before the colon", req(get, "Host : a\r\n"), 400},
        {"tab before the colon", req(get, "Host\t: a\r\n"), 400},
        {"space inside a name", req(get, "Host: a\r\nX A: b\r\n"), 400},
        {"parenthesis in a name", req(get, "Host: a\r\nX(A): b\r\n"), 400},
        {"NUL in a name", req(get, "Host: a\r\nX\0A: b\r\n"s), 400},
        {"non-ASCII name", req(get, "Host: a\r\nX-\xc3\xa9: b\r\n"), 400},
        {"line without a colon", req(get, "Host: a\r\nnocolon\r\n"), 400},
        {"empty name", req(get, "Host: a\r\n: b\r\n"), 400},
        {"head not ended by a blank line", "GET /v1/models HTTP/1.1\r\nHost: a\r\n", 400},
        {"leading empty line", "\r\nGET /v1/models HTTP/1.1\r\nHost: a\r\n\r\n", 400},
        {"double space in the request line", req("GET  /v1/models HTTP/1.1", "Host: a\r\n"), 400},
        {"trailing space after the version", req("GET /v1/models HTTP/1.1 ", "Host: a\r\n"), 400},
        {"empty method", req(" /v1/models HTTP/1.1", "Host: a\r\n"), 400},
        {"non-token method", req("G(T /v1/models HTTP/1.1", "Host: a\r\n"), 400},
        {"non-ASCII byte in the target", req("GET /v1/\xc3\xa9 HTTP/1.1", "Host: a\r\n"), 400},
        {"DEL in the target", req("GET /v1/\x7f HTTP/1.1", "Host: a\r\n"), 400},
        {"HTTP/0.9 style line without version", req("GET /v1/models", ""), 400},
    };
    for (const auto& r : rows) {
        INFO(r.name);
        auto rej = proxy::scan_raw_head(r.bytes, {});
        CHECK((rej ? rej->status : 0u) == r.status);
        if (rej) {
            CHECK(rej->code == "bad_request");
            CHECK(!rej->message.empty());
        }
    }
}

TEST_CASE("each rejection names the rule that fired", "[unit][guard]")
{
    struct reason_row
    {
        std::string bytes;
        const char* reason;
    };
    std::vector<reason_row> rows = {
        {req(get, "Host: a\r\nX-A: b\0c\r\n"s), "control character"},
        {req(get, "Host: a\r\nX-A: b\r\n c\r\n"), "obs-fold"},
        {"GET /v1/models HTTP/1.1\nHost: a\n\n", "bare LF"},
        {req(get, "Host: a\r\nX-A: b\rc\r\n"), "bare CR"},
        {req(get, "Host : a\r\n"), "whitespace between a header name and its colon"},
        {req(get, "Host: a\r\nX(A): b\r\n"), "invalid character in a header name"},
    };
    for (const auto& r : rows) {
        INFO(r.bytes);
        auto rej = proxy::scan_raw_head(r.bytes, {});
        REQUIRE(rej);
        CHECK_THAT(rej->message, Catch::Contains(r.reason));
    }
    auto framing = [](const std::string& fields) {
        auto rej = proxy::check_request_head(split(req(post, "Host: a\r\n" + fields)), {});
        REQUIRE(rej);
        return rej->message;
    };
    CHECK_THAT(framing("Transfer-Encoding: gzip\r\nContent-Length: 5\r\n"), Catch::Contains("both"));
    CHECK_THAT(framing("Transfer-Encoding: gzip, chunked\r\n"), Catch::Contains("exactly 'chunked'"));
    CHECK_THAT(framing("Content-Length: 1, 1\r\n"), Catch::Contains("malformed Content-Length"));
    CHECK_THAT(framing("Content-Length: 1\r\nContent-Length: 1\r\n"),
               Catch::Contains("more than one Content-Length"));
}

TEST_CASE("raw head scan: HTTP versions", "[unit][guard]")
{
    std::vector<row> rows = {
        {"HTTP/1.1", req("GET / HTTP/1.1", "Host: a\r\n"), 0},
        {"HTTP/1.0", req("GET / HTTP/1.0", ""), 0},
        {"HTTP/2.0", req("GET / HTTP/2.0", "Host: a\r\n"), 505},
        {"HTTP/2", req("GET / HTTP/2", "Host: a\r\n"), 505},
        {"HTTP/0.9", req("GET / HTTP/0.9", "Host: a\r\n"), 505},
        {"HTTP/1.2", req("GET / HTTP/1.2", "Host: a\r\n"), 505},
        {"HTTP/3.0", req("GET / HTTP/3.0", "Host: a\r\n"), 505},
        {"HTTP/garbage", req("GET / HTTP/x.y", "Host: a\r\n"), 505},
        {"h2 prior-knowledge preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505},
        {"not HTTP at all", req("GET / FOO/1.1", "Host: a\r\n"), 400},
        {"lower-case http", req("GET / http/1.1", "Host: a\r\n"), 400},
    };
    for (const auto& r : rows) {
        INFO(r.name);
        auto rej = proxy::scan_raw_head(r.bytes, {});
        CHECK((rej ? rej->status : 0u) == r.status);
        if (rej && rej->status == 505)
            CHECK(rej->code == "http_version_not_supported");
    }
}

TEST_CASE("raw head scan: size, count and URL limits", "[unit][guard]")
{
    proxy::guard_limits limits;
    limits.max_header_bytes = 1024;
    limits.max_header_count = 10;
    limits.max_url_bytes = 100;

    auto headers = [](int n) {
        std::string f = "Host: a\r\n";
        for (int i = 1; i < n; ++i)
            f += "X-H" + std::to_string(i) + ": v\r\n";
        return f;
    };
    CHECK_FALSE(proxy::scan_raw_head(req(get, headers(10)), limits));
    auto over = proxy::scan_raw_head(req(get, headers(11)), limits);
    REQUIRE(over);
    CHECK(over->status == 431);
    CHECK(over->code == "headers_too_large");

    // Exactly at the byte limit is accepted, one byte more is 431.
    std::string base = req(get, "Host: a\r\nX-Pad: \r\n");
    std::string at_limit = req(get, "Host: a\r\nX-Pad: " + std::string(1024 - base.size(), 'p') + "\r\n");
    REQUIRE(at_limit.size() == 1024);
    CHECK_FALSE(proxy::scan_raw_head(at_limit, limits));
    auto big = proxy::scan_raw_head(
        req(get, "Host: a\r\nX-Pad: " + std::string(1025 - base.size(), 'p') + "\r\n"), limits);
    REQUIRE(big);
    CHECK(big->status == 431);

    std::string path100 = "/v1/" + std::string(96, 'u');
    CHECK_FALSE(proxy::scan_raw_head(req("GET " + path100 + " HTTP/1.1", "Host: a\r\n"), limits));
    auto long_url = proxy::scan_raw_head(req("GET " + path100 + "u HTTP/1.1", "Host: a\r\n"), limits);
    REQUIRE(long_url);
    CHECK(long_url->status == 414);
    CHECK(long_url->code == "uri_too_long");
    // A long URL is 414 even when the head is otherwise broken further on.
    auto long_bad = proxy::scan_raw_head(req("GET " + path100 + "u HTTP/1.1", "Host: a\nX: y\r\n"), limits);
    REQUIRE(long_bad);
    CHECK(long_bad->status == 414);

    // Defaults: 16 KiB head, 100 fields, 8 KiB URL.
    CHECK(verdict(req("GET /v1/" + std::string(8 * 1024 - 4, 'u') + " HTTP/1.1", "Host: a\r\n")) == 0);
    CHECK(verdict(req("GET /v1/" + std::string(8 * 1024 - 3, 'u') + " HTTP/1.1", "Host: a\r\n")) == 414);
    CHECK(verdict(req(get, headers(100))) == 0);
    CHECK(verdict(req(get, headers(101))) == 431);
    CHECK(verdict(req(get, "Host: a\r\nX-Big: " + std::string(16 * 1024, 'b') + "\r\n")) == 431);
}

TEST_CASE("Beast accepts these heads: the guard must close each hole", "[unit][guard]")
{
    struct hole
    {
        const char* name;
        std::string bytes;
        unsigned status;
    };
    std::vector<hole> holes = {
        {"TE 'chunked, identity' (Beast: not chunked, body ignored)",
         req(post, "Host: a\r\nTransfer-Encoding: chunked, identity\r\n"), 400},
        {"TE 'gzip, chunked' (Beast: chunked)", req(post, "Host: a\r\nTransfer-Encoding: gzip, chunked\r\n"),
         400},
        {"TE 'identity'", req(post, "Host: a\r\nTransfer-Encoding: identity\r\n"), 400},
        {"TE 'gzip' then Content-Length",
         req(post, "Host: a\r\nTransfer-Encoding: gzip\r\nContent-Length: 5\r\n"), 400},
        {"TE 'gzip' then TE 'chunked'",
         req(post, "Host: a\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n"), 400},
        {"TE 'chunked ' with a stray token", req(post, "Host: a\r\nTransfer-Encoding: x, chunked\r\n"), 400},
        {"Content-Length list '1, 1'", req(post, "Host: a\r\nContent-Length: 1, 1\r\n"), 400},
        {"two equal Content-Length headers",
         req(post, "Host: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n"), 400},
        {"missing Host (HTTP/1.1)", req(get, "X-A: b\r\n"), 400},
        {"duplicate Host", req(get, "Host: a\r\nHost: b\r\n"), 400},
        {"Host with a space", req(get, "Host: a b\r\n"), 400},
        {"Host with a path", req(get, "Host: a/b\r\n"), 400},
        {"Host with userinfo", req(get, "Host: user@a\r\n"), 400},
        {"asterisk-form", req("OPTIONS * HTTP/1.1", "Host: a\r\n"), 400},
        {"absolute-form", req("GET http://evil.example/v1/models HTTP/1.1", "Host: a\r\n"), 400},
        {"authority-form on GET", req("GET evil.example:443 HTTP/1.1", "Host: a\r\n"), 400},
        {"scheme-relative target", req("GET //evil.example/v1/models HTTP/1.1", "Host: a\r\n"), 400},
        {"CONNECT", req("CONNECT evil.example:443 HTTP/1.1", "Host: evil.example:443\r\n"), 405},
        {"dot-dot segment", req("GET /v1/../admin HTTP/1.1", "Host: a\r\n"), 400},
        {"dot segment", req("GET /v1/./models HTTP/1.1", "Host: a\r\n"), 400},
        {"trailing dot-dot", req("GET /v1/.. HTTP/1.1", "Host: a\r\n"), 400},
        {"trailing dot-dot before a query", req("GET /v1/..?x=1 HTTP/1.1", "Host: a\r\n"), 400},
        {"%2e%2e", req("GET /v1/%2e%2e/admin HTTP/1.1", "Host: a\r\n"), 400},
        {"%2E%2e mixed case", req("GET /v1/%2E%2e/admin HTTP/1.1", "Host: a\r\n"), 400},
        {".%2e", req("GET /v1/.%2e/admin HTTP/1.1", "Host: a\r\n"), 400},
        {"%2e alone", req("GET /v1/%2e/models HTTP/1.1", "Host: a\r\n"), 400},
        {"..%2f (encoded slash)", req("GET /v1/..%2fadmin HTTP/1.1", "Host: a\r\n"), 400},
        {"..%5c (encoded backslash)", req("GET /v1/..%5Cadmin HTTP/1.1", "Host: a\r\n"), 400},
        {"..\\ (backslash)", req("GET /v1/..\\admin HTTP/1.1", "Host: a\r\n"), 400},
        {"TE chunked in an HTTP/1.0 request", req("POST /v1/x HTTP/1.0", "Transfer-Encoding: chunked\r\n"),
         400},
        {"declared body one byte over the limit", req(post, "Host: a\r\nContent-Length: 67108865\r\n"), 413},
        {"declared body of a terabyte", req(post, "Host: a\r\nContent-Length: 1000000000000\r\n"), 413},
    };
    for (const auto& h : holes) {
        INFO(h.name);
        auto p = parse(h.bytes);
        CHECK_FALSE(p.ec);
        REQUIRE(p.head);
        auto rej = proxy::check_request_head(split(h.bytes), {});
        REQUIRE(rej);
        CHECK(rej->status == h.status);
        CHECK(!rej->message.empty());
        CHECK(verdict(h.bytes) == h.status);
    }
    // The smuggling hole itself: Beast frames "chunked, identity" as a body-less request, so the
    // chunked body would be read as the next request on the connection.
    auto p = parse(req(post, "Host: a\r\nTransfer-Encoding: chunked, identity\r\n"));
    CHECK_FALSE(p.chunked);
    CHECK(parse(req(post, "Host: a\r\nTransfer-Encoding: gzip, chunked\r\n")).chunked);
}

TEST_CASE("Beast rejects these heads itself (the proxy answers 400)", "[unit][guard]")
{
    std::vector<row> rows = {
        {"Content-Length then TE",
         req(post, "Host: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n"), 400},
        {"TE chunked then Content-Length",
         req(post, "Host: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n"), 400},
        {"TE chunked twice",
         req(post, "Host: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"), 400},
        {"differing Content-Length", req(post, "Host: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n"), 400},
        {"differing Content-Length list", req(post, "Host: a\r\nContent-Length: 5, 6\r\n"), 400},
        {"Content-Length with a sign", req(post, "Host: a\r\nContent-Length: +5\r\n"), 400},
        {"negative Content-Length", req(post, "Host: a\r\nContent-Length: -1\r\n"), 400},
        {"hex Content-Length", req(post, "Host: a\r\nContent-Length: 0x10\r\n"), 400},
        {"Content-Length with inner space", req(post, "Host: a\r\nContent-Length: 1 0\r\n"), 400},
        {"empty Content-Length", req(post, "Host: a\r\nContent-Length: \r\n"), 400},
        {"Content-Length over 2^64", req(post, "Host: a\r\nContent-Length: 18446744073709551616\r\n"), 400},
        {"HTTP/2.0 (Beast: bad_version; the raw scan answers 505 first)",
         req("GET /v1/models HTTP/2.0", "Host: a\r\n"), 505},
        {"HTTP/0.9 (Beast: bad_version; the raw scan answers 505 first)",
         req("GET /v1/models HTTP/0.9", "Host: a\r\n"), 505},
        {"Content-Length of 25 digits", req(post, "Host: a\r\nContent-Length: 9999999999999999999999999\r\n"),
         400},
        // Found by tests/unit/proxy_differential_test.cpp: the guard accepted these until then.
        {"Connection element that is not a token", req(get, "Host: a\r\nConnection: :close, x-secret\r\n"),
         400},
        {"Connection element with a space", req(get, "Host: a\r\nConnection: x y\r\n"), 400},
    };
    for (const auto& r : rows) {
        INFO(r.name);
        CHECK(parse(r.bytes).ec); // Beast's own verdict
        CHECK(verdict(r.bytes) == r.status);
    }
}

TEST_CASE("parsed head: versions other than 1.0 and 1.1 get 505", "[unit][guard]")
{
    // The raw scan answers 505 first, so build the heads directly: the check must not rely on that.
    const auto get11 = req(get, "Host: a\r\n"), get10 = req("GET /v1/models HTTP/1.0", "");
    for (int v : {9, 12, 20, 30}) {
        auto h = split(get11); // views into get11
        h.version = v;
        auto rej = proxy::check_request_head(h, {});
        REQUIRE(rej);
        CHECK(rej->status == 505);
    }
    auto h = split(get10);
    CHECK(h.version == 10);
    CHECK_FALSE(proxy::check_request_head(h, {}));
}

TEST_CASE("accepted heads pass every check", "[unit][guard]")
{
    std::vector<std::string> ok = {
        req(get, "Host: a\r\n"),
        req(get, "Host: 127.0.0.1:8080\r\n"),
        req(get, "Host: [::1]:8080\r\n"),
        req(post, "Host: a\r\nContent-Length: 0\r\n"),
        req(post, "Host: a\r\nContent-Length: 67108864\r\n"),
        req(post, "Host: a\r\nContent-Length:  42 \r\n"),
        req(post, "Host: a\r\nTransfer-Encoding: chunked\r\n"),
        req(post, "Host: a\r\nTransfer-Encoding: Chunked\r\n"),
        req("POST /v1/chat/completions HTTP/1.0", "Content-Length: 2\r\n"),
        req("GET /v1/models HTTP/1.0", ""),
        req("GET /v1/a%2eb/c.d/..e/e.. HTTP/1.1", "Host: a\r\n"),
        req("GET /v1/models/org%2Fname HTTP/1.1", "Host: a\r\n"),
        req("GET /v1/x?path=../../etc/passwd HTTP/1.1", "Host: a\r\n"),
        req("GET /v1/... HTTP/1.1", "Host: a\r\n"),
        req("DELETE /v1/files/file-1 HTTP/1.1", "Host: a\r\nAuthorization: Bearer sk-x\r\n"),
    };
    for (const auto& bytes : ok) {
        INFO(bytes);
        CHECK(verdict(bytes) == 0);
    }
}

TEST_CASE("chunk extensions over the limit are rejected by the body decoder", "[unit][guard]")
{
    auto run = [](std::size_t ext_len) {
        proxy::guard_limits limits;
        proxy::http1::chunked_decoder dec(limits.max_chunk_ext_bytes);
        std::string name(ext_len - 1, 'e'); // ";" + name = ext_len bytes
        std::string body = "1;" + name + "\r\nx\r\n0\r\n\r\n";
        char out[8];
        dec.decode(body.data(), body.size(), out, sizeof out);
        return dec.failure();
    };
    using error = proxy::http1::chunked_decoder::error;
    CHECK(run(1024) == error::none);
    CHECK(run(1025) == error::extension_too_long);
    auto rej = proxy::chunked_rejection(error::extension_too_long, {});
    CHECK(rej.status == 400);
    CHECK(rej.message.find("1024") != std::string::npos);
}

TEST_CASE("rejection messages never quote header values", "[unit][guard]")
{
    const std::string secret = "sk-secret-1234";
    for (const auto& bytes : {req(get, "Host: a\r\nAuthorization: Bearer " + secret + "\x01\r\n"),
                              req(get, "Host: a\r\nAuthorization: Bearer " + secret + "\r\n x\r\n"),
                              req(get, "Host: " + secret + " x\r\n")}) {
        proxy::http1::request_head head;
        auto rej = proxy::check_request(bytes, {}, head);
        REQUIRE(rej);
        CHECK(rej->message.find(secret) == std::string::npos);
    }
}

TEST_CASE("what Beast does with the heads the raw scan rejects", "[unit][guard]")
{
    // Documents docs/HARDENING.md: these reach the raw scan because Beast would let them through.
    struct probe
    {
        const char* name;
        std::string bytes;
        bool beast_accepts;
    };
    std::vector<probe> probes = {
        {"obs-fold (joined into the value)", req(get, "Host: a\r\nX-A: b\r\n c\r\n"), true},
        {"bare LF line endings", "GET /v1/models HTTP/1.1\nHost: a\nX-A: b\n\n", false},
        {"bare LF ending one header line", req(get, "Host: a\nX-A: b\r\n"), false},
        {"HTAB-led continuation line", req(get, "Host: a\r\nX-A: b\r\n\tc\r\n"), true},
        {"DEL in a value", req(get, "Host: a\r\nX-A: b\x7f\r\n"), false},
        {"NUL in a value", req(get, "Host: a\r\nX-A: b\0c\r\n"s), false},
        {"0x01 in a value", req(get, "Host: a\r\nX-A: b\x01\r\n"), false},
        {"space before the colon", req(get, "Host : a\r\n"), false},
        {"bare CR in a value", req(get, "Host: a\r\nX-A: b\rc\r\n"), false},
    };
    for (const auto& p : probes) {
        INFO(p.name);
        auto r = parse(p.bytes);
        CHECK(!r.ec == p.beast_accepts);
        CHECK(proxy::scan_raw_head(p.bytes, {}));
    }
}

// The request line's target is settled sixteen bytes at a time when it holds none of the bytes
// the path checks look at (request_guard.cpp, plain_target); otherwise the byte loops decide. The
// verdict must be the same either way: the slow path is forced by clearing target_plain.
namespace {
unsigned slow_verdict(const std::string& bytes)
{
    proxy::guard_limits limits;
    proxy::http1::request_head head;
    if (auto r = proxy::scan_raw_head(bytes, limits, head))
        return r->status;
    head.target_plain = false;
    if (auto r = proxy::check_request_head(head, limits))
        return r->status;
    return 0;
}
} // namespace

TEST_CASE("targets: the sixteen-byte check agrees with the byte loops", "[unit][guard]")
{
    const std::string specials = std::string("\x01\t .%\\?#/\x7f\x80\xff", 12) + std::string(1, '\0');
    std::vector<std::string> targets;
    // Every special byte at every position of paths around the sixteen-byte block boundary.
    for (std::size_t len = 2; len <= 40; ++len)
        for (std::size_t p = 1; p < len; ++p)
            for (char c : specials) {
                std::string t = "/" + std::string(len - 1, 'a');
                t[p] = c;
                targets.push_back(t);
            }
    // Dot-segments past the first block, plain and encoded.
    for (const char* seg : {"/..", "/.", "/%2e%2e", "/.%2E", "/%2e", "\\..", "%2f..", "%5c.."})
        for (std::size_t pad = 0; pad < 36; ++pad)
            for (const char* tail : {"", "/", "/x", "?q=1"})
                targets.push_back("/v1/" + std::string(pad, 'b') + seg + tail);
    // Random targets over an alphabet that makes the special bytes frequent.
    const std::string alphabet = "/abc.%2e5cf\\?#-_~" + std::string("\x01\x7f\x80 ", 4);
    std::uint32_t seed = 12345;
    auto next = [&seed] { return seed = seed * 1664525u + 1013904223u; };
    for (int i = 0; i < 20000; ++i) {
        std::string t = "/";
        for (std::size_t n = next() % 48; n > 0; --n)
            t += alphabet[(next() >> 8) % alphabet.size()];
        targets.push_back(t);
    }
    std::size_t accepted = 0;
    for (const auto& t : targets) {
        auto bytes = req("GET " + t + " HTTP/1.1", "Host: a\r\n");
        auto fast = verdict(bytes);
        INFO(t);
        CHECK(fast == slow_verdict(bytes));
        if (fast == 0) {
            ++accepted;
            for (unsigned char c : t)
                CHECK((c > 0x20 && c < 0x7f));
        }
    }
    CHECK(accepted > 1000); // the comparison covered accepted targets too
    CHECK(verdict(req("GET /v1/aaaaaaaaaaaaaaaaaaaa/../x HTTP/1.1", "Host: a\r\n")) == 400);
    CHECK(verdict(req("GET /v1/aaaaaaaaaaaaaaaaaaaa/%2E%2e HTTP/1.1", "Host: a\r\n")) == 400);
    CHECK(verdict(req("GET /v1/aaaaaaaaaaaaaaaaaaaa\x7f HTTP/1.1", "Host: a\r\n")) == 400);
    CHECK(verdict(req("GET /v1/chat/completions HTTP/1.1", "Host: a\r\n")) == 0);
}
