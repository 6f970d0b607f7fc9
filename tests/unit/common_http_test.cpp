// Unit tests: SSE framing and parsing, OpenAI error bodies, header rules.
#include "common/http_headers.hpp"
#include "common/openai_error.hpp"
#include "common/sse.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <vector>

namespace {
std::vector<common::sse_event> parse_in_pieces(std::string_view stream, std::size_t piece)
{
    common::sse_parser p;
    std::vector<common::sse_event> events;
    for (std::size_t i = 0; i < stream.size(); i += piece)
        p.feed(stream.substr(i, piece), [&](const common::sse_event& e) { events.push_back(e); });
    return events;
}
} // namespace

TEST_CASE("SSE framing round-trips through the parser", "[unit][sse]")
{
    std::string stream =
        common::sse_data(R"({"a":1})") + common::sse_data(R"({"b":2})") + std::string(common::sse_done);
    CHECK(stream == "data: {\"a\":1}\n\ndata: {\"b\":2}\n\ndata: [DONE]\n\n");
    for (std::size_t piece : {1u, 2u, 7u, 1000u}) {
        auto events = parse_in_pieces(stream, piece);
        REQUIRE(events.size() == 3);
        CHECK(events[0].data == R"({"a":1})");
        CHECK(events[2].data == "[DONE]");
    }
}

TEST_CASE("SSE parser: CRLF and CR line ends, comments, multi-line data, fields", "[unit][sse]")
{
    auto events = parse_in_pieces(": keep-alive\r\n\r\nevent: delta\r\nid: 7\r\ndata: one\r\ndata:two\r\n\r\n"
                                  "data: cr\r\rdata: no end",
                                  3);
    REQUIRE(events.size() == 2);
    CHECK(events[0].event == "delta");
    CHECK(events[0].id == "7");
    CHECK(events[0].data == "one\ntwo");
    CHECK(events[1].data == "cr");
}

TEST_CASE("OpenAI error bodies", "[unit][errors]")
{
    auto j = nlohmann::json::parse(common::openai_error_body(404, "Unknown route \"/x\"", "unknown_url"));
    CHECK(j["error"]["message"] == "Unknown route \"/x\"");
    CHECK(j["error"]["type"] == "invalid_request_error");
    CHECK(j["error"]["code"] == "unknown_url");
    CHECK(j["error"]["param"].is_null());
    j = nlohmann::json::parse(common::openai_error_body(503, "down"));
    CHECK(j["error"]["type"] == "server_error");
    CHECK(j["error"]["code"].is_null());
    CHECK(common::openai_error_type(429) == "rate_limit_error");
    CHECK(common::openai_error_type(401) == "authentication_error");
    // Invalid UTF-8 in a quoted client value must not throw.
    CHECK_NOTHROW(nlohmann::json::parse(common::openai_error_body(400, "bad \xff byte")));
}

TEST_CASE("hop-by-hop headers and Connection tokens", "[unit][headers]")
{
    for (auto h :
         {"Connection", "keep-alive", "TE", "Transfer-Encoding", "Upgrade", "Proxy-Authorization", "Trailer"})
        CHECK(common::is_hop_by_hop(h));
    for (auto h : {"Content-Type", "Authorization", "Content-Length", "X-Request-Id"})
        CHECK_FALSE(common::is_hop_by_hop(h));
    CHECK(common::connection_tokens(" close, X-Foo ,,keep-alive ") ==
          std::vector<std::string>{"close", "x-foo", "keep-alive"});
    CHECK(common::is_token("X-Request-Id"));
    CHECK_FALSE(common::is_token("bad header"));
    CHECK_FALSE(common::is_token(""));
    CHECK_FALSE(common::is_token("a:b"));
}

TEST_CASE("chunk extensions: RFC 9112 7.1.1 grammar", "[unit][headers]")
{
    for (const char* ok : {"", ";a", ";a=b", " ; a = b ;c", ";a=\"q r\"", ";a=\"q\\\"r\"", "\t;x=1"}) {
        INFO(ok);
        CHECK(common::valid_chunk_extensions(ok));
    }
    for (const char* bad : {" ", "\t", ";a ", ";a=b\t", "x", ";", "; bad ext", ";a=", ";a=\"open", ";a=b c",
                            ";a=\"q\\", ";(x)", ";a=\"\x01\""}) {
        INFO(bad);
        CHECK_FALSE(common::valid_chunk_extensions(bad));
    }
}

TEST_CASE("transfer-coding parameters: a value is required", "[unit][headers]")
{
    CHECK(common::valid_transfer_parameters(";level=1"));
    CHECK(common::valid_transfer_parameters(" ; a = \"b c\" ;d=e"));
    CHECK_FALSE(common::valid_transfer_parameters(";ip"));
    CHECK_FALSE(common::valid_transfer_parameters(";"));
    CHECK_FALSE(common::valid_transfer_parameters(";a=b;"));
}

TEST_CASE("token_prefix: the sixteen-byte path agrees with the table", "[unit][headers]")
{
    auto reference = [](std::string_view s) {
        std::size_t i = 0;
        while (i < s.size() && common::is_tchar(static_cast<unsigned char>(s[i])))
            ++i;
        return i;
    };
    // Every byte value at every position of names around the block boundaries.
    for (std::size_t len = 1; len <= 48; ++len)
        for (std::size_t p = 0; p < len; ++p)
            for (int b = 0; b < 256; ++b) {
                std::string s(len, 'x');
                for (std::size_t i = 0; i < len; ++i)
                    s[i] = "aZ09-k"[i % 6];
                s[p] = static_cast<char>(b);
                INFO("len " << len << " pos " << p << " byte " << b);
                REQUIRE(common::token_prefix(s) == reference(s));
            }
    // Random mixes of letters, digits, the other tchars and separators.
    const std::string alphabet = "azAZ09-_.!~:; \t\x7f\x80/";
    std::uint32_t seed = 7;
    auto next = [&seed] { return seed = seed * 1664525u + 1013904223u; };
    for (int i = 0; i < 50000; ++i) {
        std::string s;
        for (std::size_t n = next() % 70; n > 0; --n)
            s += (next() >> 8) % 4 ? "ContentLength-x"[(next() >> 8) % 15]
                                   : alphabet[(next() >> 8) % alphabet.size()];
        INFO(s);
        REQUIRE(common::token_prefix(s) == reference(s));
    }
    CHECK(common::token_prefix("Content-Type: application/json") == 12);
    CHECK(common::token_prefix("X-Very-Long-Header-Name-Over-Sixteen: v") == 36);
}
