// bench's own response parser (bench/loadgen/response_parser.hpp) against Beast's, on generated
// responses fed in random splits: every count bench reports rests on where it thinks a response
// ends and on whether it calls it complete.
//
// Each stream is one response (sometimes after an interim 1xx) followed by the start of another,
// framed by Content-Length, chunked (sizes in either case, leading zeros, extensions, trailers)
// or the end of the connection, a quarter of them damaged byte by byte. Whenever bench completes
// a response, Beast's parser, given the same bytes at once, completes it too, with the same
// status, body, end and keep-alive verdict. bench may refuse more than Beast (a refused response
// is counted as an error, in plain sight); it may never accept something else. Seeds are fixed.
#include "bench/loadgen/response_parser.hpp"
#include "tests/support/http_cases.hpp"

#include <algorithm>
#include <boost/asio/buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <catch2/catch.hpp>
#include <string>

namespace {

namespace http = boost::beast::http;

class generator : public test_support::case_generator
{
public:
    using case_generator::case_generator;

    // One response: head, body and the framing that delimits it.
    std::string response()
    {
        static const char* const lines[] = {"HTTP/1.1 200 OK",
                                            "HTTP/1.1 404 Not Found",
                                            "HTTP/1.0 200 OK",
                                            "HTTP/1.1 204 No Content",
                                            "HTTP/1.1 304 Not Modified",
                                            "HTTP/1.1 500 Oops",
                                            "HTTP/1.1 429 "};
        static const char* const connections[] = {"keep-alive", "close", "Keep-Alive", "close, x", ", close"};
        static const char* const codings[] = {"chunked",       "Chunked", "gzip, chunked",
                                              "chunked, gzip", "gzip",    "chunked,"};
        std::string body = letters(below(120));
        std::string out = std::string(usually_first(lines)) + "\r\n";
        if (chance(20))
            out += "Connection: " + std::string(usually_first(connections)) + "\r\n";
        if (chance(30))
            out += "Server-Timing: proxy;dur=0.25\r\n";
        switch (below(4)) {
        case 0: // Content-Length, now and then a wrong or doubled one
            out += "Content-Length: " + std::to_string(chance(90) ? body.size() : body.size() + 3) + "\r\n";
            if (chance(5))
                out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
            out += "Content-Type: application/json\r\n\r\n" + body;
            break;
        case 1:
        case 2: {
            std::string coding = usually_first(codings);
            out += "Transfer-Encoding: " + coding + "\r\n";
            if (chance(3))
                out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
            bool chunked_last = coding == "chunked" || coding == "Chunked" || coding == "gzip, chunked" ||
                                coding == "chunked,";
            out += "\r\n" + (chunked_last ? test_support::chunked_encoding(*this, body) : body);
            break;
        }
        default: // until the connection closes
            out += "\r\n" + body;
            break;
        }
        return out;
    }

    std::string stream()
    {
        std::string s;
        if (chance(10))
            s = chance(50) ? "HTTP/1.1 100 Continue\r\n\r\n"
                           : "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n";
        s += response();
        if (chance(25))
            damage(s, damage_bytes);
        return s;
    }

private:
    static constexpr char damage_bytes[] = {'\0', '\r', '\n', ' ', '\t', ':', ';', '0', 'f', 'G', '\x7f'};
};

struct outcome
{
    bool done = false;
    unsigned status = 0;
    std::string body;
    std::size_t end = 0; // bytes of the stream that belong to the response
    bool keep_alive = false;
};

// bench's parser, fed as bench's connection feeds it: bytes arrive in pieces of 1..max_step, and
// what put() did not consume stays in the buffer and is offered again with the next piece.
outcome run_bench_parser(const std::string& stream, bool connection_ends, generator& g)
{
    loadgen::response_parser p;
    outcome o;
    std::string buf;
    std::size_t fed = 0;
    const std::size_t max_step = 1 + g.below(64);
    while (!p.done() && !p.failed()) {
        std::string_view piece;
        auto n = p.put(buf, piece);
        if (n > 0) {
            o.body.append(piece);
            buf.erase(0, n);
            o.end += n;
            continue;
        }
        if (fed == stream.size()) {
            if (connection_ends)
                p.put_eof();
            break;
        }
        auto k = std::min(stream.size() - fed, 1 + g.below(max_step));
        buf.append(stream, fed, k);
        fed += k;
    }
    o.done = p.done();
    o.status = p.status();
    o.keep_alive = p.keep_alive();
    return o;
}

// Beast's parser given the stream at once; interim 1xx responses are skipped as bench skips them.
outcome run_beast_parser(const std::string& stream, bool connection_ends)
{
    outcome o;
    for (;;) {
        http::response_parser<http::string_body> p;
        p.eager(true);
        p.body_limit(boost::none);
        boost::beast::error_code ec;
        std::size_t start = o.end;
        while (!p.is_done() && o.end < stream.size()) {
            auto n = p.put(boost::asio::buffer(stream.data() + o.end, stream.size() - o.end), ec);
            o.end += n;
            if (ec || n == 0)
                break;
        }
        if (ec == http::error::need_more)
            ec = {};
        if (!ec && !p.is_done() && connection_ends && p.is_header_done())
            p.put_eof(ec);
        if (ec || !p.is_done())
            return o;
        auto status = p.get().result_int();
        if (status >= 100 && status < 200 && status != 101 && o.end > start)
            continue; // interim response
        o.done = true;
        o.status = status;
        o.body = p.get().body();
        o.keep_alive = p.keep_alive(); // the parser's: false when the body ran to the end of the connection
        return o;
    }
}

// The stream with a space added after each status code that ends its status line, at the start
// and after an interim head; `added` counts them.
std::string with_reason_spaces(std::string stream, std::size_t& added)
{
    added = 0;
    for (std::size_t line = 0; line < stream.size();) {
        auto eol = stream.find("\r\n", line);
        if (eol == line + 12 && stream.compare(line, 5, "HTTP/") == 0) {
            stream.insert(eol, " ");
            ++added;
        }
        bool interim = stream.compare(line, 10, "HTTP/1.1 1") == 0;
        auto head_end = stream.find("\r\n\r\n", line);
        if (!interim || head_end == std::string::npos)
            break;
        line = head_end + 4;
    }
    return stream;
}

} // namespace

TEST_CASE("differential: every response bench's parser completes, Beast's completes alike",
          "[unit][loadgen][differential]")
{
    const int cases = test_support::generated_case_count(20000);
    generator g(test_support::generated_seed(11));
    std::size_t completed = 0, refused = 0;
    for (int i = 0; i < cases; ++i) {
        auto response = g.stream();
        // What follows on the connection: the next response, or the end of the connection.
        const bool connection_ends = g.chance(40);
        const std::string stream =
            response + (connection_ends ? "" : "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        auto ours = run_bench_parser(stream, connection_ends, g);
        if (!ours.done) {
            ++refused;
            continue;
        }
        ++completed;
        INFO(test_support::escaped(stream) << (connection_ends ? " (then the connection ends)" : ""));
        // bench, like the proxy and nginx, reads "HTTP/1.1 200" without the space before an
        // empty reason; Beast wants it, so Beast reads the stream with the space added.
        std::size_t added = 0;
        auto beast = run_beast_parser(with_reason_spaces(stream, added), connection_ends);
        beast.end -= std::min(beast.end, added);
        REQUIRE(beast.done);
        CHECK(ours.status == beast.status);
        CHECK(ours.body == beast.body);
        CHECK(ours.end == beast.end);
        CHECK(ours.keep_alive == beast.keep_alive);
    }
    CHECK(completed > 5000);
    CHECK(refused > 500);
}
