// Request hardening rules (see request_guard.hpp and docs/HARDENING.md). Pure functions: no I/O,
// no allocation on the accept path except the rejection itself.
#include "proxy/request_guard.hpp"

#include "common/http_headers.hpp"

#include <algorithm>
#include <array>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace proxy {
namespace {

using http1::field_id;

rejection bad(std::string message)
{
    return {400, std::move(message), "bad_request"};
}

// A header name for a message: only token characters reach here, capped in length.
std::string name_for_message(std::string_view name)
{
    return std::string(name.substr(0, 64)) + (name.size() > 64 ? "..." : "");
}

// True when the target holds none of the bytes the checks below look at: controls, space, DEL
// and above (invalid), '.', '%' and '\\' (maybe a dot-segment), '?' and '#' (where the path ends).
// Such a target (the usual "/v1/chat/completions") is valid and has no dot-segment, which
// sixteen bytes at a time settles without the byte loops (about 380 instructions per request
// in callgrind).
bool plain_target(std::string_view t)
{
    std::size_t i = 0;
#if defined(__SSE2__)
    const __m128i space = _mm_set1_epi8(0x20);
    const __m128i del = _mm_set1_epi8(0x7f);
    const __m128i specials[] = {_mm_set1_epi8('.'), _mm_set1_epi8('%'), _mm_set1_epi8('\\'),
                                _mm_set1_epi8('?'), _mm_set1_epi8('#')};
    for (; i + 16 <= t.size(); i += 16) {
        __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(t.data() + i));
        __m128i hit = _mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(x, space), x), // <= 0x20
                                   _mm_cmpeq_epi8(_mm_max_epu8(x, del), x));  // >= 0x7f
        for (const auto& c : specials)
            hit = _mm_or_si128(hit, _mm_cmpeq_epi8(x, c));
        if (_mm_movemask_epi8(hit) != 0)
            return false;
    }
#endif
    for (; i < t.size(); ++i) {
        auto u = static_cast<unsigned char>(t[i]);
        if (u <= 0x20 || u >= 0x7f || u == '.' || u == '%' || u == '\\' || u == '?' || u == '#')
            return false;
    }
    return true;
}

// "HTTP/1.1" and "HTTP/1.0" are served; any other "HTTP/..." is 505; anything else is malformed.
std::optional<rejection> check_version(std::string_view v)
{
    if (v == "HTTP/1.1" || v == "HTTP/1.0")
        return std::nullopt;
    if (v.substr(0, 5) == "HTTP/")
        return rejection{505, "HTTP version not supported: the proxy serves HTTP/1.1 and HTTP/1.0",
                         "http_version_not_supported"};
    return bad("malformed request line: bad HTTP version");
}

// method SP request-target SP HTTP-version, single spaces, nothing else; the parts go to `out`.
std::optional<rejection> check_request_line(std::string_view line, const guard_limits& limits,
                                            http1::request_head& out)
{
    if (line.empty())
        return bad("empty request line");
    auto sp1 = line.find(' ');
    auto sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
    if (sp2 == std::string_view::npos)
        return bad("malformed request line: expected 'METHOD target HTTP/1.1'");
    auto method = line.substr(0, sp1);
    auto target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    auto version = line.substr(sp2 + 1);
    if (!common::is_token(method))
        return bad("malformed request line: invalid method");
    if (target.size() > limits.max_url_bytes)
        return rejection{414, "request target longer than " + std::to_string(limits.max_url_bytes) + " bytes",
                         "uri_too_long"};
    if (target.empty())
        return bad("malformed request line: empty target");
    out.target_plain = plain_target(target);
    if (!out.target_plain) {
        for (char c : target) {
            auto u = static_cast<unsigned char>(c);
            if (u <= 0x20 || u >= 0x7f)
                return bad("malformed request line: invalid byte in the target (use percent-encoding)");
        }
    }
    if (version.find(' ') != std::string_view::npos)
        return bad("malformed request line: extra spaces");
    if (auto r = check_version(version))
        return r;
    out.method = method;
    out.target = target;
    out.version_text = version;
    out.version = version == "HTTP/1.0" ? 10 : 11;
    return std::nullopt;
}

// field-name ":" OWS field-value OWS, one line (no obs-fold), no control bytes in the value
// (unless `value_scanned`: the caller has already found none).
// `colon_out` receives the index of the colon of an accepted line.
std::optional<rejection> check_field_line(std::string_view line, bool value_scanned = false,
                                          std::size_t* colon_out = nullptr)
{
    if (line.front() == ' ' || line.front() == '\t')
        return bad("obs-fold (header line starting with whitespace) is not accepted");
    // The usual line: a token, then the colon, found in one pass.
    if (auto t = common::token_prefix(line); t > 0 && t < line.size() && line[t] == ':') {
        if (colon_out)
            *colon_out = t;
        if (value_scanned)
            return std::nullopt;
    }
    auto colon = line.find(':');
    if (colon == std::string_view::npos)
        return bad("header line without a colon");
    auto name = line.substr(0, colon);
    if (name.empty())
        return bad("empty header name");
    if (!common::is_token(name)) {
        if (name.back() == ' ' || name.back() == '\t')
            return bad("whitespace between a header name and its colon");
        return bad("invalid character in a header name");
    }
    if (colon_out)
        *colon_out = colon;
    if (value_scanned)
        return std::nullopt;
    for (char c : line.substr(colon + 1)) {
        if (common::is_control(static_cast<unsigned char>(c)))
            return bad(c == '\r' ? std::string("bare CR in the request head")
                                 : "control character (NUL, CR, LF or other) in the value of header " +
                                       name_for_message(name));
    }
    return std::nullopt;
}

// Segments "." and "..", also percent-encoded (%2e) or separated by '\' / %2f / %5c, which some
// upstreams decode or normalise.
bool has_dot_segment(std::string_view target)
{
    // One pass to the end of the path: the usual path has no dot, no escape and no backslash.
    // (string_view::find_first_of calls memchr once per character: 22 calls on a usual request.)
    std::size_t end = 0;
    bool suspect = false;
    for (; end < target.size() && target[end] != '?' && target[end] != '#'; ++end) {
        char c = target[end];
        suspect |= c == '.' || c == '%' || c == '\\';
    }
    if (!suspect)
        return false;
    auto path = target.substr(0, end);
    std::size_t dots = 0;
    bool other = false;
    auto end_segment = [&] {
        bool dot_seg = !other && (dots == 1 || dots == 2);
        dots = 0;
        other = false;
        return dot_seg;
    };
    for (std::size_t i = 0; i < path.size(); ++i) {
        char c = path[i];
        if (c == '%' && i + 2 < path.size()) {
            char hi = path[i + 1];
            char lo = static_cast<char>(path[i + 2] | 0x20);
            if ((hi == '2' && lo == 'f') || (hi == '5' && lo == 'c')) {
                if (end_segment())
                    return true;
                i += 2;
                continue;
            }
            if (hi == '2' && lo == 'e') {
                ++dots;
                i += 2;
                continue;
            }
        }
        if (c == '/' || c == '\\') {
            if (end_segment())
                return true;
        } else if (c == '.') {
            ++dots;
        } else {
            other = true;
        }
    }
    return end_segment();
}

// Host = uri-host [ ":" port ]: reg-name, IPv4 or [IPv6] characters only.
bool valid_host(std::string_view h)
{
    static constexpr auto allowed = [] {
        std::array<bool, 256> t{};
        for (int c = '0'; c <= '9'; ++c)
            t[c] = true;
        for (int c = 'a'; c <= 'z'; ++c)
            t[c] = t[c - 'a' + 'A'] = true;
        for (char c : std::string_view("-._~%!$&'()*+,;=:[]"))
            t[static_cast<unsigned char>(c)] = true;
        return t;
    }();
    return std::all_of(h.begin(), h.end(), [](char c) { return allowed[static_cast<unsigned char>(c)]; });
}

std::optional<rejection> check_framing(const http1::request_head& head, const guard_limits& limits)
{
    auto te_n = head.count(field_id::transfer_encoding);
    auto cl_n = head.count(field_id::content_length);
    if (te_n > 0 && cl_n > 0)
        return bad("both Content-Length and Transfer-Encoding: ambiguous request framing");
    if (te_n > 1)
        return bad("more than one Transfer-Encoding header");
    if (te_n == 1) {
        if (!common::iequals(head.find(field_id::transfer_encoding)->value, "chunked"))
            return bad("Transfer-Encoding other than exactly 'chunked' is not accepted");
        if (head.version < 11)
            return bad("Transfer-Encoding in an HTTP/1.0 request");
    }
    if (cl_n > 1)
        return bad("more than one Content-Length header");
    if (cl_n == 1) {
        auto length = common::parse_content_length(head.find(field_id::content_length)->value);
        if (!length)
            return bad("malformed Content-Length: expected one decimal number");
        auto n = *length;
        if (n > limits.max_body_bytes)
            return rejection{413,
                             "request body of " + std::to_string(n) + " bytes over the limit of " +
                                 std::to_string(limits.max_body_bytes) + " bytes",
                             "payload_too_large"};
    }
    return std::nullopt;
}

} // namespace

// One pass over the head: each line found (find_control), checked, and split into `out`.
std::optional<rejection> scan_raw_head(std::string_view h, const guard_limits& limits,
                                       http1::request_head& out)
{
    out.clear();
    out.raw_size = h.size();
    if (h.size() > limits.max_header_bytes)
        return rejection{431,
                         "request head larger than " + std::to_string(limits.max_header_bytes) + " bytes",
                         "headers_too_large"};
    auto not_terminated = [] { return bad("request head not terminated by an empty line"); };
    auto bare_lf = [] { return bad("bare LF in the request head (lines must end with CRLF)"); };
    // The request line first: its target length (414) and version (505) take precedence.
    auto lf = h.find('\n');
    auto line = h.substr(0, lf);
    const bool crlf = !line.empty() && line.back() == '\r';
    if (crlf)
        line.remove_suffix(1);
    if (auto r = check_request_line(line, limits, out))
        return r;
    if (lf == std::string_view::npos)
        return not_terminated();
    if (!crlf)
        return bare_lf();
    std::size_t count = 0;
    for (std::size_t pos = lf + 1;;) {
        // The first control byte of the line must be the CR of its CRLF.
        auto c = http1::find_control(h, pos);
        if (c == std::string_view::npos)
            return not_terminated();
        if (h[c] == '\n')
            return bare_lf();
        if (h[c] != '\r') {
            // A control byte inside the line: the field check names the rule (and the header).
            auto end = h.find('\n', c);
            if (auto r = check_field_line(h.substr(pos, end == std::string_view::npos ? end : end - pos)))
                return r;
            return bad("control character in the request head");
        }
        if (c + 1 >= h.size() || h[c + 1] != '\n')
            return bad("bare CR in the request head");
        lf = c + 1;
        line = h.substr(pos, c - pos);
        if (line.empty())
            return lf + 1 == h.size() ? std::nullopt : std::optional<rejection>(not_terminated());
        std::size_t colon = 0;
        if (auto r = check_field_line(line, true, &colon))
            return r;
        if (++count > limits.max_header_count)
            return rejection{431, "more than " + std::to_string(limits.max_header_count) + " header fields",
                             "headers_too_large"};
        http1::add_field_line(out, line, colon);
        pos = lf + 1;
    }
}

std::optional<rejection> scan_raw_head(std::string_view h, const guard_limits& limits)
{
    http1::request_head scratch;
    return scan_raw_head(h, limits, scratch);
}

std::optional<rejection> check_request_head(const http1::request_head& head, const guard_limits& limits)
{
    if (head.version != 11 && head.version != 10)
        return rejection{505, "HTTP version not supported: the proxy serves HTTP/1.1 and HTTP/1.0",
                         "http_version_not_supported"};
    if (head.method == "CONNECT")
        return rejection{405, "CONNECT is not supported: this is a reverse proxy, not a tunnel",
                         "method_not_allowed"};
    auto target = head.target;
    if (target.size() > limits.max_url_bytes)
        return rejection{414, "request target longer than " + std::to_string(limits.max_url_bytes) + " bytes",
                         "uri_too_long"};
    if (target == "*")
        return bad("asterisk-form target '*' is not accepted");
    if (target.empty() || target.front() != '/')
        return bad(
            "only origin-form targets (/path?query) are accepted, not absolute-form or authority-form");
    if (target.size() > 1 && target[1] == '/')
        return bad("target starting with '//' is not accepted");
    if (!head.target_plain && has_dot_segment(target))
        return bad("dot-segments ('.' or '..', also percent-encoded) in the path are not accepted");
    if (head.bad_connection)
        return bad("malformed Connection header: not a list of header names");
    auto hosts = head.count(field_id::host);
    if (hosts > 1)
        return bad("more than one Host header");
    if (hosts == 0 && head.version == 11)
        return bad("missing Host header");
    if (hosts == 1 && !valid_host(head.find(field_id::host)->value))
        return bad("malformed Host header");
    return check_framing(head, limits);
}

std::optional<rejection> check_request(std::string_view head_bytes, const guard_limits& limits,
                                       http1::request_head& out)
{
    if (auto r = scan_raw_head(head_bytes, limits, out))
        return r;
    return check_request_head(out, limits);
}

http1::framing request_framing(const http1::request_head& head)
{
    http1::framing f;
    for (const auto& field : head.fields) {
        if (field.id == field_id::transfer_encoding)
            return {http1::framing::chunked, 0};
        if (field.id == field_id::content_length) {
            f.kind = http1::framing::content_length;
            f.length = common::parse_content_length(field.value).value_or(0);
        }
    }
    return f;
}

rejection chunked_rejection(http1::chunked_decoder::error e, const guard_limits& limits)
{
    using error = http1::chunked_decoder::error;
    switch (e) {
    case error::extension_too_long:
        return bad("chunk extension longer than " + std::to_string(limits.max_chunk_ext_bytes) + " bytes");
    case error::bad_size:
        return bad("malformed chunked body: bad chunk size line");
    case error::bad_extension:
        return bad("malformed chunked body: bad chunk extension");
    case error::bad_line_end:
        return bad("malformed chunked body: missing CRLF");
    case error::trailer_too_long:
        return bad("chunked body trailer section too long");
    case error::bad_trailer:
        return bad("malformed chunked body trailer");
    case error::none:
        break;
    }
    return bad("malformed chunked body");
}

} // namespace proxy
