// The minimal response parser.
#include "bench/loadgen/response_parser.hpp"

#include "bench/loadgen/connection.hpp" // parse_server_timing

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

std::string_view trim(std::string_view v)
{
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t'))
        v.remove_prefix(1);
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t'))
        v.remove_suffix(1);
    return v;
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

// Calls f(token) for each comma-separated, trimmed, non-empty element of a list header.
template <typename F>
void for_each_token(std::string_view v, F f)
{
    while (!v.empty()) {
        auto comma = v.find(',');
        auto t = trim(v.substr(0, comma));
        if (!t.empty())
            f(t);
        if (comma == std::string_view::npos)
            break;
        v.remove_prefix(comma + 1);
    }
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

} // namespace

bool response_parser::parse_head(std::string_view head)
{
    // Status line: HTTP/1.x SP 3DIGIT [SP reason] CRLF
    auto eol = head.find("\r\n");
    auto line = head.substr(0, eol);
    if (line.size() < 12 || line.substr(0, 7) != "HTTP/1." || (line[7] != '0' && line[7] != '1') ||
        line[8] != ' ')
        return false;
    bool http10 = line[7] == '0';
    unsigned code = 0;
    for (std::size_t i = 9; i < 12; ++i) {
        if (line[i] < '0' || line[i] > '9')
            return false;
        code = code * 10 + static_cast<unsigned>(line[i] - '0');
    }
    if (code < 100 || (line.size() > 12 && line[12] != ' '))
        return false;

    bool has_length = false, chunked = false, other_coding = false, close = false, keep = false;
    std::uint64_t length = 0;
    head.remove_prefix(eol + 2);
    // One pass per line: the name (token characters) up to ':', then the value up to CR; `head`
    // ends with the empty line, so every scan below stops at a CR.
    const char* p = head.data();
    while (*p != '\r') {
        const char* name_begin = p;
        while (char_class(*p) & 1)
            ++p;
        if (*p != ':' || p == name_begin)
            return false; // also rejects obsolete line folding (a line starting with a space)
        std::string_view name(name_begin, static_cast<std::size_t>(p - name_begin));
        ++p;
        while (*p == ' ' || *p == '\t')
            ++p;
        const char* value_begin = p;
        while (char_class(*p) & 2)
            ++p;
        if (p[0] != '\r' || p[1] != '\n')
            return false; // a control byte in the value, or a bare CR
        const char* value_end = p;
        while (value_end > value_begin && (value_end[-1] == ' ' || value_end[-1] == '\t'))
            --value_end;
        std::string_view value(value_begin, static_cast<std::size_t>(value_end - value_begin));
        p += 2;
        switch (lower(name[0])) {
        case 'c':
            if (iequals(name, "content-length")) {
                if (value.empty() || value.size() > 19)
                    return false;
                std::uint64_t n = 0;
                for (char c : value) {
                    if (c < '0' || c > '9')
                        return false;
                    n = n * 10 + static_cast<std::uint64_t>(c - '0');
                }
                if (has_length && n != length)
                    return false; // conflicting lengths: cannot know where the body ends
                has_length = true;
                length = n;
            } else if (iequals(name, "connection")) {
                for_each_token(value, [&](std::string_view t) {
                    if (iequals(t, "close"))
                        close = true;
                    else if (iequals(t, "keep-alive"))
                        keep = true;
                });
            }
            break;
        case 't':
            if (iequals(name, "transfer-encoding")) {
                // Only the final coding decides the framing; anything but chunked last means
                // the body runs to the end of the connection (RFC 9112, 6.3).
                for_each_token(value, [&](std::string_view t) {
                    chunked = iequals(t, "chunked");
                    other_coding = !chunked;
                });
            }
            break;
        case 's':
            if (server_timing_ms_ < 0 && iequals(name, "server-timing"))
                server_timing_ms_ = parse_server_timing(value);
            break;
        default:
            break;
        }
    }

    status_ = code;
    keep_alive_ = http10 ? keep && !close : !close;
    if (code < 200 && code != 101) {
        // Interim response (100 Continue, 103 Early Hints): the real one follows.
        state_ = state::head;
        server_timing_ms_ = -1;
        return true;
    }
    header_done_ = true;
    if (code == 101 || code == 204 || code == 304) {
        if (code == 101)
            keep_alive_ = false; // the connection now speaks another protocol
        state_ = state::done;
    } else if (chunked || other_coding) {
        if (chunked && has_length)
            return false; // request smuggling territory: refuse rather than pick one
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
    return true;
}

std::size_t response_parser::put(std::string_view in, std::string_view& body)
{
    body = {};
    std::size_t used = 0;
    for (;;) {
        auto rest = in.substr(used);
        switch (state_) {
        case state::head: {
            auto from = scanned_ > 3 ? scanned_ - 3 : 0;
            auto end = rest.find("\r\n\r\n", from);
            if (end == std::string_view::npos) {
                if (rest.size() > max_head) {
                    state_ = state::error;
                    return used;
                }
                scanned_ = rest.size();
                return used;
            }
            scanned_ = 0;
            // parse_head expects the header lines to end with the empty line's CRLF.
            if (!parse_head(rest.substr(0, end + 4))) {
                state_ = state::error;
                return used;
            }
            used += end + 4;
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
            // At least one digit, then only whitespace and extensions (";name=value") allowed.
            auto tail = trim(rest.substr(i, eol - i));
            if (i == 0 || (!tail.empty() && tail.front() != ';')) {
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
