// The minimal response parser.
#include "bench/loadgen/response_parser.hpp"

#include "bench/loadgen/server_timing.hpp"
#include "common/http_headers.hpp"

#include <algorithm>
#include <array>
#include <cstring>

namespace loadgen {
namespace {

char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c;
}

bool iequals(std::string_view a, std::string_view b)
{
    if (a.size() != b.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (lower(a[i]) != b[i]) // b is lower case
            return false;
    return true;
}

// Character classes, one table lookup per byte: 1 = RFC 9110 token character (header names),
// 2 = allowed in a header value (visible, space, tab, obs-text), 0 = neither.
constexpr std::array<std::uint8_t, 256> char_classes = [] {
    std::array<std::uint8_t, 256> t{};
    for (int c = 0; c < 256; ++c) {
        bool visible = (c >= 0x21 && c <= 0x7e) || c >= 0x80;
        bool value = visible || c == ' ' || c == '\t';
        bool token = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        for (char s : std::string_view("!#$%&'*+-.^_`|~"))
            token = token || c == s;
        t[static_cast<std::size_t>(c)] = static_cast<std::uint8_t>((token ? 1 : 0) | (value ? 2 : 0));
    }
    return t;
}();

std::uint8_t char_class(char c)
{
    return char_classes[static_cast<unsigned char>(c)];
}

int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = lower(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

// First byte at or after p (before end) that may not appear in a header value: a control byte
// other than tab (CR ends the value), or DEL. Eight bytes at a time while no byte is below 0x20 or
// DEL (the borrow trick may flag a byte above a real hit, never miss one: the bytewise loop decides).
const char* scan_value(const char* p, const char* end)
{
    constexpr std::uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    while (end - p >= 8) {
        std::uint64_t x;
        std::memcpy(&x, p, 8);
        std::uint64_t below = (x - ones * 0x20) & ~x & highs;
        std::uint64_t y = x ^ (ones * 0x7f);
        std::uint64_t del = (y - ones) & ~y & highs;
        if (auto hits = below | del) {
            // The lowest flagged byte is a real hit (little-endian: the first in memory).
            p += __builtin_ctzll(hits) / 8;
            if (*p != '\t')
                return p;
            ++p;
            continue;
        }
        p += 8;
    }
    while (p < end && (char_class(*p) & 2))
        ++p;
    return p;
}

// Is the header name `name` (already checked to be token characters) equal to `lower_target`
// (lower-case letters and '-'), ignoring case? OR-ing 0x20 maps A-Z to a-z and leaves '-' and the
// letters alone, and no other token character maps onto a letter or '-'.
bool name_is(std::string_view name, std::string_view lower_target)
{
    if (name.size() != lower_target.size())
        return false;
    unsigned diff = 0;
    for (std::size_t i = 0; i < name.size(); ++i)
        diff |= static_cast<unsigned>((static_cast<unsigned char>(name[i]) | 0x20) ^
                                      static_cast<unsigned char>(lower_target[i]));
    return diff == 0;
}

// "name: value" with a token name and a value of allowed bytes (trailer lines are checked once each,
// rarely: no need for the head's one-pass scan).
bool valid_field_line(std::string_view line)
{
    auto colon = line.find(':');
    if (colon == 0 || colon == std::string_view::npos)
        return false;
    for (std::size_t i = 0; i < colon; ++i)
        if (!(char_class(line[i]) & 1))
            return false;
    for (std::size_t i = colon + 1; i < line.size(); ++i)
        if (!(char_class(line[i]) & 2))
            return false;
    return true;
}

} // namespace

// Parses the head at the start of `in` in one pass over its lines. more: the empty line that ends
// it has not arrived yet (nothing is kept; the head is parsed again from the start with more bytes,
// and heads nearly always arrive whole).
response_parser::head_result response_parser::parse_head(std::string_view in, std::size_t& used)
{
    const char* const begin = in.data();
    const char* const end = begin + in.size();
    // Status line: HTTP/1.x SP 3DIGIT [SP reason] CRLF
    if (in.size() < 12) {
        // Reject early what cannot become a status line, so that garbage fails fast.
        std::string_view prefix = "HTTP/1.";
        auto n = std::min(in.size(), prefix.size());
        return in.substr(0, n) == prefix.substr(0, n) ? head_result::more : head_result::error;
    }
    if (in.substr(0, 7) != "HTTP/1." || (in[7] != '0' && in[7] != '1') || in[8] != ' ')
        return head_result::error;
    bool http10 = in[7] == '0';
    unsigned code = 0;
    for (std::size_t i = 9; i < 12; ++i) {
        if (in[i] < '0' || in[i] > '9')
            return head_result::error;
        code = code * 10 + static_cast<unsigned>(in[i] - '0');
    }
    if (code < 100)
        return head_result::error;
    const char* p = begin + 12;
    if (p < end && *p != '\r') {
        if (*p != ' ')
            return head_result::error;
        p = scan_value(p, end); // the reason phrase
    }
    if (end - p < 2)
        return head_result::more;
    if (p[0] != '\r' || p[1] != '\n')
        return head_result::error;
    p += 2;

    bool has_length = false, chunked = false, other_coding = false, close = false, keep = false;
    std::uint64_t length = 0;
    double timing = -1;
    for (;;) {
        if (p == end)
            return head_result::more;
        if (*p == '\r')
            break; // the empty line
        const char* name_begin = p;
        while (p < end && (char_class(*p) & 1))
            ++p;
        if (p == end)
            return head_result::more;
        if (*p != ':' || p == name_begin)
            return head_result::error; // also rejects obsolete line folding (a line starting with a space)
        std::string_view name(name_begin, static_cast<std::size_t>(p - name_begin));
        ++p;
        while (p < end && (*p == ' ' || *p == '\t'))
            ++p;
        const char* value_begin = p;
        p = scan_value(p, end);
        if (end - p < 2)
            return head_result::more;
        if (p[0] != '\r' || p[1] != '\n')
            return head_result::error; // a control byte in the value, or a bare CR
        const char* value_end = p;
        while (value_end > value_begin && (value_end[-1] == ' ' || value_end[-1] == '\t'))
            --value_end;
        std::string_view value(value_begin, static_cast<std::size_t>(value_end - value_begin));
        p += 2;
        switch (lower(name[0])) {
        case 'c':
            if (name_is(name, "content-length")) {
                auto n = common::parse_content_length(value);
                if (!n || (has_length && *n != length))
                    return head_result::error; // malformed or conflicting: the body's end is unknown
                has_length = true;
                length = *n;
            } else if (name_is(name, "connection")) {
                bool bad = false;
                common::for_each_list_element(value, [&](std::string_view t) {
                    if (iequals(t, "close"))
                        close = true;
                    else if (iequals(t, "keep-alive"))
                        keep = true;
                    else
                        bad = bad || !common::is_token(t);
                });
                if (bad)
                    return head_result::error; // not a list of names: the connection's fate is unknown
            }
            break;
        case 't':
            if (name_is(name, "transfer-encoding")) {
                // Only the final coding decides the framing; anything but chunked last means
                // the body runs to the end of the connection (RFC 9112, 6.3).
                bool bad = false;
                common::for_each_list_element(value, [&](std::string_view t) {
                    auto coding = common::transfer_coding_name(t);
                    bad = bad || !coding;
                    chunked = coding && iequals(*coding, "chunked");
                    other_coding = !chunked;
                });
                if (bad)
                    return head_result::error; // a coding bench cannot name: the body's end is unknown
            }
            break;
        case 's':
            // The last field that names the proxy counts: a proxy appends its own after the
            // ones it relays, so in a chain of proxies (or behind a gateway that names a metric
            // "proxy") the last is the one nearest to bench, the one being measured.
            if (name_is(name, "server-timing"))
                if (auto t = parse_server_timing(value); t >= 0)
                    timing = t;
            break;
        default:
            break;
        }
    }

    if (end - p < 2)
        return head_result::more;
    if (p[1] != '\n')
        return head_result::error;
    used = static_cast<std::size_t>(p + 2 - begin);
    status_ = code;
    keep_alive_ = http10 ? keep && !close : !close;
    if (code < 200 && code != 101) {
        // Interim response (100 Continue, 103 Early Hints): the real one follows.
        state_ = state::head;
        return head_result::done;
    }
    if ((chunked || other_coding) && has_length)
        return head_result::error; // Transfer-Encoding with Content-Length: response splitting
                                   // territory (RFC 9112 6.3), refused even where no body follows
    header_done_ = true;
    server_timing_ms_ = timing;
    if (code == 101 || code == 204 || code == 304) {
        if (code == 101)
            keep_alive_ = false; // the connection now speaks another protocol
        state_ = state::done;
    } else if (chunked || other_coding) {
        state_ = chunked ? state::chunk_size : state::until_eof;
        if (!chunked)
            keep_alive_ = false;
    } else if (has_length) {
        remaining_ = length;
        state_ = length > 0 ? state::length : state::done;
    } else {
        state_ = state::until_eof;
        keep_alive_ = false;
    }
    return head_result::done;
}

std::size_t response_parser::put(std::string_view in, std::string_view& body)
{
    body = {};
    std::size_t used = 0;
    for (;;) {
        auto rest = in.substr(used);
        switch (state_) {
        case state::head: {
            std::size_t n = 0;
            auto h = parse_head(rest, n);
            if (h == head_result::error || (h == head_result::more && rest.size() > max_head)) {
                state_ = state::error;
                return used;
            }
            if (h == head_result::more)
                return used;
            used += n;
            break;
        }
        case state::length:
        case state::chunk_data: {
            if (rest.empty())
                return used;
            auto n = rest.size() < remaining_ ? rest.size() : static_cast<std::size_t>(remaining_);
            body = rest.substr(0, n);
            remaining_ -= n;
            used += n;
            if (remaining_ == 0)
                state_ = state_ == state::length ? state::done : state::chunk_crlf;
            return used;
        }
        case state::chunk_size: {
            auto eol = rest.find("\r\n");
            if (eol == std::string_view::npos) {
                if (rest.size() > max_line)
                    state_ = state::error;
                return used;
            }
            std::uint64_t size = 0;
            std::size_t i = 0;
            for (; i < eol; ++i) {
                int v = hex_value(rest[i]);
                if (v < 0)
                    break;
                if (i >= 15) { // more than 60 bits of chunk size
                    state_ = state::error;
                    return used;
                }
                size = size * 16 + static_cast<std::uint64_t>(v);
            }
            // At least one digit, then only whitespace and well-formed extensions.
            if (i == 0 || !common::valid_chunk_extensions(rest.substr(i, eol - i))) {
                state_ = state::error;
                return used;
            }
            used += eol + 2;
            remaining_ = size;
            state_ = size == 0 ? state::trailers : state::chunk_data;
            break;
        }
        case state::chunk_crlf:
            if (rest.size() < 2)
                return used;
            if (rest[0] != '\r' || rest[1] != '\n') {
                state_ = state::error;
                return used;
            }
            used += 2;
            state_ = state::chunk_size;
            break;
        case state::trailers: {
            auto eol = rest.find("\r\n");
            if (eol == std::string_view::npos) {
                if (rest.size() > max_line)
                    state_ = state::error;
                return used;
            }
            if (eol > 0 && !valid_field_line(rest.substr(0, eol))) {
                state_ = state::error; // a trailer section that is not field lines
                return used;
            }
            used += eol + 2;
            if (eol == 0)
                state_ = state::done;
            break;
        }
        case state::until_eof:
            if (rest.empty())
                return used;
            body = rest;
            return used + rest.size();
        case state::done:
        case state::error:
            return used;
        }
    }
}

bool response_parser::put_eof()
{
    if (state_ == state::until_eof)
        state_ = state::done;
    else if (state_ != state::done)
        state_ = state::error;
    return state_ == state::done;
}

} // namespace loadgen
