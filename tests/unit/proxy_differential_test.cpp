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
#include "tests/unit/generated_cases.hpp"

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
using test_support::escaped;

class generator : public test_support::case_generator
{
public:
    using case_generator::case_generator;

    std::string field_line(const std::string& name, const std::string& value)
    {
        static const char* const before[] = {"", " ", " ", " ", "  ", "\t"};
        static const char* const after[] = {"", "", "", " ", "\t"};
        static const char* const ends[] = {"\r\n", "\r\n", "\r\n", "\r\n", "\r\n", "\r\n", "\r\n", "\n"};
        std::string n = name;
        if (chance(20)) // names are case-insensitive
            for (auto& c : n)
                c = static_cast<char>(chance(50) ? std::toupper(static_cast<unsigned char>(c))
                                                 : std::tolower(static_cast<unsigned char>(c)));
        std::string line = n + (chance(3) ? " :" : ":") + usually_first(before) + value +
                           usually_first(after) + usually_first(ends);
        if (chance(3)) // obs-fold
            line += " folded\r\n";
        return line;
    }

    // A head's fields, with framing pieces drawn from what smuggling uses.
    std::string fields(bool response)
    {
        static const char* const lengths[] = {"17",
                                              "0",
                                              "5",
                                              "17",
                                              "05",
                                              "+5",
                                              "-1",
                                              "5, 5",
                                              "5,6",
                                              "5 5",
                                              "1e3",
                                              "0x5",
                                              "18446744073709551616",
                                              "99999999999999999999",
                                              ""};
        static const char* const codings[] = {"chunked",       "chunked",  "Chunked",    "chunked, identity",
                                              "gzip, chunked", "identity", "chunked,",   ",chunked",
                                              "chunked;q=1",   "gzip",     "\"chunked\""};
        static const char* const connections[] = {
            "close", "keep-alive",     "x-secret",          "close, x-secret",
            "TE",    "Content-Length", "Transfer-Encoding", "upgrade"};
        static const char* const others[][2] = {{"Content-Type", "application/json"},
                                                {"Accept", "*/*"},
                                                {"X-Secret", "s"},
                                                {"TE", "trailers"},
                                                {"Upgrade", "h2c"},
                                                {"Keep-Alive", "timeout=5"},
                                                {"Trailer", "X-Checksum"},
                                                {"Proxy-Connection", "keep-alive"},
                                                {"X-Forwarded-For", "10.0.0.1"},
                                                {"Forwarded", "for=10.0.0.1"},
                                                {"X-Request-Id", "abc-123"},
                                                {"Authorization", "Bearer sk-client"},
                                                {"Expect", "100-continue"},
                                                {"Server-Timing", "db;dur=1"},
                                                {"X-Empty", ""},
                                                {"X-Utf8", "caf\xc3\xa9"},
                                                {"Set-Cookie", "a=b"}};
        std::string out;
        if (!response) {
            static const char* const hosts[] = {"example.com", "example.com:8080", "", "a b", "[::1]:80"};
            for (std::size_t n = chance(8) ? 0 : (chance(5) ? 2 : 1); n > 0; --n)
                out += field_line("Host", usually_first(hosts));
        }
        for (std::size_t n = chance(50) ? 0 : 1 + (chance(10) ? 1 : 0); n > 0; --n)
            out += field_line("Content-Length", usually_first(lengths));
        for (std::size_t n = chance(60) ? 0 : 1 + (chance(10) ? 1 : 0); n > 0; --n)
            out += field_line("Transfer-Encoding", usually_first(codings));
        if (chance(30))
            out += field_line("Connection", pick(connections));
        for (std::size_t n = below(5); n > 0; --n) {
            const auto& f = pick(others);
            out += field_line(f[0], f[1]);
        }
        return out;
    }

    std::string request()
    {
        static const char* const methods[] = {"GET",  "POST",    "POST",    "POST",  "PUT", "PATCH", "DELETE",
                                              "HEAD", "OPTIONS", "CONNECT", "TRACE", "get", "P\"ST"};
        static const char* const targets[] = {"/v1/chat/completions",
                                              "/v1/chat/completions",
                                              "/v1/models?limit=1&x=%20",
                                              "/v1/a/../b",
                                              "/v1/%2e%2e/x",
                                              "/v1/./x",
                                              "*",
                                              "http://example.com/v1/x",
                                              "/v1/x#frag",
                                              "/v1/{x}",
                                              "/v1/\"q\"",
                                              "/v1/\\x",
                                              "/v2/x",
                                              "/v1/x?a=/../",
                                              "example.com:443",
                                              "/v1/%00"};
        static const char* const versions[] = {"HTTP/1.1", "HTTP/1.1", "HTTP/1.1", "HTTP/1.0",
                                               "HTTP/2.0", "HTTP/1.2", "http/1.1", "HTTP/1.10"};
        std::string head = std::string(usually_first(methods)) + " " + usually_first(targets) +
                           (chance(3) ? "  " : " ") + usually_first(versions) + "\r\n" + fields(false) +
                           (chance(97) ? "\r\n" : "\n");
        if (chance(25))
            damage(head, damage_bytes);
        return head;
    }

    std::string response()
    {
        static const char* const lines[] = {"HTTP/1.1 200 OK",
                                            "HTTP/1.1 200 OK",
                                            "HTTP/1.1 200 OK",
                                            "HTTP/1.0 200 OK",
                                            "HTTP/1.1 204 No Content",
                                            "HTTP/1.1 304 Not Modified",
                                            "HTTP/1.1 404 Not Found",
                                            "HTTP/1.1 500 Internal Server Error",
                                            "HTTP/1.1 200",
                                            "HTTP/1.1 200 ",
                                            "HTTP/1.1 099 Low",
                                            "HTTP/1.1 2000 OK",
                                            "HTTP/2 200 OK",
                                            "HTTP/1.1 20 OK",
                                            "ICY 200 OK",
                                            "HTTP/1.1 103 Early Hints",
                                            "HTTP/1.1 999 Odd"};
        std::string head =
            std::string(usually_first(lines)) + "\r\n" + fields(true) + (chance(97) ? "\r\n" : "\n");
        if (chance(25))
            damage(head, damage_bytes);
        return head;
    }

private:
    static constexpr char damage_bytes[] = {'\0', '\r',   '\n',   ' ',    '\t', ':', ',',
                                            ';',  '\x7f', '\x80', '\xff', 'a',  '"', '0'};
};

// The bytes up to and including the first blank line, as the proxy's head reader cuts them.
std::string cut_head(const std::string& bytes)
{
    auto end = proxy::http1::find_head_end(bytes);
    return end == std::string::npos ? std::string() : bytes.substr(0, end);
}

// Beast's reading of a head: its error, and what it found when there was none.
template <bool isRequest>
struct beast_head
{
    boost::beast::error_code ec;
    http::parser<isRequest, http::empty_body> p;
};

template <bool isRequest>
void parse_with_beast(const std::string& head, beast_head<isRequest>& out, bool head_request = false)
{
    out.p.header_limit(1 << 20);
    out.p.body_limit(boost::none);
    out.p.eager(false);
    if constexpr (!isRequest)
        out.p.skip(head_request);
    out.p.put(boost::asio::buffer(head), out.ec);
    if (out.ec == http::error::need_more && out.p.is_header_done())
        out.ec = {};
    if (!out.ec && !out.p.is_header_done())
        out.ec = http::error::need_more;
}

proxy::provider_config provider()
{
    proxy::provider_config p;
    p.name = "diff";
    p.upstream = *common::parse_url("https://api.example.com/base/v1");
    p.headers = {{"X-Added", "1"}};
    return p;
}

} // namespace

namespace {

// Beast's framing of a head it accepted, in the proxy's terms.
template <bool isRequest>
framing beast_framing(const http::parser<isRequest, http::empty_body>& p)
{
    if (p.is_done()) // no body follows the head (Content-Length: 0, 1xx, 204, 304, HEAD)
        return {framing::none, 0};
    if (p.chunked())
        return {framing::chunked, 0};
    if (auto n = p.content_length())
        return *n == 0 ? framing{framing::none, 0} : framing{framing::content_length, *n};
    if (p.need_eof())
        return {framing::until_close, 0};
    return {framing::none, 0};
}

// The proxy's framing, with "Content-Length: 0" and no body at all counted as one.
framing normalised(framing f)
{
    if (f.kind == framing::content_length && f.length == 0)
        return {framing::none, 0};
    return f;
}

bool same(framing a, framing b)
{
    return a.kind == b.kind && a.length == b.length;
}

// Transfer codings that name chunked before their last one ("chunked, identity").
bool chunked_not_last(const proxy::http1::response_head& h)
{
    std::vector<std::string_view> codings;
    for (const auto& f : h.fields) {
        if (f.id != proxy::http1::field_id::transfer_encoding)
            continue;
        common::for_each_list_element(f.value, [&](std::string_view c) { codings.push_back(c); });
    }
    return codings.size() > 1 && !common::iequals(codings.back(), "chunked") &&
           std::any_of(codings.begin(), codings.end() - 1,
                       [](std::string_view c) { return common::iequals(c, "chunked"); });
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

namespace {

// A chunked body as peers write it (sizes in either case, leading zeros, extensions with token and
// quoted values, trailers), a quarter of them damaged byte by byte.
std::string chunked_body(test_support::case_generator& g)
{
    static const char* const extensions[] = {"",        ";a=b",        ";x",        " ;y=\"q\"", ";a=b;c",
                                             "; a = b", ";q=\"\\\"\"", "; bad ext", ";a=",       "\t;z"};
    static const char* const trailers[] = {"", "X-Trailer: t\r\n", "X-A: 1\r\nX-B:\r\n", "bad trailer\r\n",
                                           ": v\r\n"};
    std::string data(g.below(200), 'd');
    for (auto& c : data)
        c = static_cast<char>('a' + g.below(26));
    std::string out;
    for (std::size_t at = 0; at < data.size();) {
        auto n = std::min(data.size() - at, 1 + g.below(60));
        // Digits through a pointer: GCC 12 at -O1 with -fsanitize=undefined miscompiled indexing
        // `(c ? "0123..." : "0123...")` directly (wrong digits, in the sanitizer build only).
        static constexpr char lower[] = "0123456789abcdef", upper[] = "0123456789ABCDEF";
        std::string size;
        for (auto v = n; v > 0 || size.empty(); v /= 16) {
            const char* digits = g.chance(50) ? lower : upper;
            size.insert(size.begin(), digits[v % 16]);
        }
        if (g.chance(10))
            size.insert(0, g.below(3) + 1, '0');
        out += size + g.usually_first(extensions) + "\r\n" + data.substr(at, n) + "\r\n";
        at += n;
    }
    out += std::string("0") + g.usually_first(extensions) + "\r\n" + g.usually_first(trailers) + "\r\n";
    if (g.chance(25)) {
        static constexpr char damage_bytes[] = {'\0', '\r', '\n', ' ', '\t', ';',
                                                '=',  '"',  '0',  'f', 'G',  ':'};
        g.damage(out, damage_bytes);
    }
    return out;
}

} // namespace

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
