// Generated HTTP/1 messages for the differential tests of the proxy's and bench's parsing and for
// the proxy's end-to-end test on generated requests: heads built from the pieces request smuggling
// uses (doubled or odd Content-Length, Transfer-Encoding lists, bare CR and LF, NUL, obs-fold,
// spaces before colons, odd targets and versions) and chunked bodies, a quarter damaged byte by
// byte.
#pragma once

#include "proxy/http1.hpp"
#include "tests/support/generated_cases.hpp"

#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>

namespace test_support {

class http_case_generator : public case_generator
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
inline std::string cut_head(const std::string& bytes)
{
    auto end = proxy::http1::find_head_end(bytes);
    return end == std::string::npos ? std::string() : bytes.substr(0, end);
}

// `data` chunked as peers write it: pieces of up to 60 bytes, sizes in either case and with
// leading zeros, extensions with token and quoted values (some malformed), trailers (some
// malformed).
inline std::string chunked_encoding(case_generator& g, std::string_view data)
{
    static const char* const extensions[] = {"",        ";a=b",        ";x",        " ;y=\"q\"", ";a=b;c",
                                             "; a = b", ";q=\"\\\"\"", "; bad ext", ";a=",       "\t;z"};
    static const char* const trailers[] = {"", "X-Trailer: t\r\n", "X-A: 1\r\nX-B:\r\n", "bad trailer\r\n",
                                           ": v\r\n"};
    std::string out;
    for (std::size_t at = 0; at < data.size();) {
        auto n = std::min(data.size() - at, 1 + g.below(60));
        out += g.hex(n);
        out += g.usually_first(extensions);
        out += "\r\n";
        out += data.substr(at, n);
        out += "\r\n";
        at += n;
    }
    out += std::string("0") + g.usually_first(extensions) + "\r\n" + g.usually_first(trailers) + "\r\n";
    return out;
}

// A chunked body of up to 200 letters (chunked_encoding), a quarter of them damaged byte by byte.
inline std::string chunked_body(case_generator& g)
{
    std::string out = chunked_encoding(g, g.letters(g.below(200)));
    if (g.chance(25)) {
        static constexpr char damage_bytes[] = {'\0', '\r', '\n', ' ', '\t', ';',
                                                '=',  '"',  '0',  'f', 'G',  ':'};
        g.damage(out, damage_bytes);
    }
    return out;
}

} // namespace test_support
