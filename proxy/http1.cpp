// HTTP/1.1 heads and framing without Beast (see http1.hpp).
#include "proxy/http1.hpp"

#include "common/http_headers.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace proxy::http1 {
namespace {

std::uint64_t load8(const char* p)
{
    std::uint64_t v;
    std::memcpy(&v, p, 8);
    return v;
}

// `lower` is a literal of lower-case letters, digits and '-'; `s` is a checked name or value (no
// control byte but HTAB). Then `(c | 0x20) == l` holds exactly when c is l or, for a letter, its
// upper case: the other byte it admits (l - 0x20) is a control byte other than HTAB for a digit
// or '-', and HTAB itself becomes ')', in no literal. Eight bytes at a time (the last eight
// overlapping), then four: classify() runs on every header of both heads.
bool token_iequals(std::string_view s, std::string_view lower)
{
    const std::size_t n = s.size();
    if (n != lower.size())
        return false;
    constexpr std::uint64_t case8 = 0x2020202020202020ull;
    if (n >= 8) {
        for (std::size_t i = 0; i + 8 <= n; i += 8)
            if ((load8(s.data() + i) | case8) != load8(lower.data() + i))
                return false;
        return (load8(s.data() + n - 8) | case8) == load8(lower.data() + n - 8);
    }
    if (n >= 4) {
        std::uint32_t a, b, c, d;
        std::memcpy(&a, s.data(), 4);
        std::memcpy(&b, lower.data(), 4);
        std::memcpy(&c, s.data() + n - 4, 4);
        std::memcpy(&d, lower.data() + n - 4, 4);
        return (a | 0x20202020u) == b && (c | 0x20202020u) == d;
    }
    for (std::size_t i = 0; i < n; ++i)
        if ((static_cast<unsigned char>(s[i]) | 0x20) != static_cast<unsigned char>(lower[i]))
            return false;
    return true;
}

// Records the tokens of a Connection / Proxy-Connection value; an element that is not a token
// makes the head malformed (as Beast's parser has it: a list the proxy cannot read is not relayed).
void connection_header(head_fields& h, std::string_view value)
{
    common::for_each_list_element(value, [&](std::string_view t) {
        // "close" names no header and Keep-Alive is hop-by-hop anyway: only other names are
        // kept, so the usual response ("Connection: keep-alive") leaves the list empty.
        if (token_iequals(t, "close"))
            h.conn_close = true;
        else if (token_iequals(t, "keep-alive"))
            h.conn_keep_alive = true;
        else if (common::is_token(t))
            h.conn_tokens.push_back(t);
        else
            h.bad_connection = true;
    });
}

} // namespace

void add_field_line(head_fields& h, std::string_view line, std::size_t colon)
{
    auto name = line.substr(0, colon);
    auto id = classify(name);
    // The usual "Name: value" has one space and no trailing whitespace: skip the general trim.
    auto value = line.substr(colon + 1);
    const bool canonical = value.size() > 1 && value.front() == ' ' && value[1] != ' ' && value[1] != '\t' &&
                           value.back() != ' ' && value.back() != '\t';
    if (canonical)
        value.remove_prefix(1);
    else
        value = common::trim_ows(value);
    auto i = static_cast<std::size_t>(id);
    if (h.id_count[i]++ == 0)
        h.id_first[i] = static_cast<std::uint32_t>(h.fields.size());
    h.fields.push_back({name, value, id, canonical});
    if (id == field_id::connection || id == field_id::proxy_connection)
        connection_header(h, value);
}

std::size_t find_control(std::string_view s, std::size_t from)
{
    constexpr std::uint64_t ones = 0x0101010101010101ull;
    constexpr std::uint64_t highs = 0x8080808080808080ull;
    std::size_t i = from;
#if defined(__SSE2__)
    // Sixteen bytes at a time (every x86-64 has SSE2): a byte is flagged when it is <= 0x1f
    // (unsigned: min(x, 0x1f) == x) and not HTAB, or when it is DEL.
    const __m128i limit = _mm_set1_epi8(0x1f);
    const __m128i tab = _mm_set1_epi8('\t');
    const __m128i del_byte = _mm_set1_epi8(0x7f);
    for (; i + 16 <= s.size(); i += 16) {
        __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + i));
        __m128i ctl = _mm_cmpeq_epi8(_mm_min_epu8(x, limit), x);
        ctl = _mm_andnot_si128(_mm_cmpeq_epi8(x, tab), ctl);
        ctl = _mm_or_si128(ctl, _mm_cmpeq_epi8(x, del_byte));
        if (int m = _mm_movemask_epi8(ctl))
            return i + static_cast<std::size_t>(__builtin_ctz(static_cast<unsigned>(m)));
    }
#endif
    for (; i + 8 <= s.size(); i += 8) {
        std::uint64_t x;
        std::memcpy(&x, s.data() + i, 8);
        // Some byte < 0x20, or some byte == 0x7f (exact "any" tests; HTAB is sorted out below).
        std::uint64_t below = (x - ones * 0x20) & ~x & highs;
        std::uint64_t y = x ^ (ones * 0x7f);
        std::uint64_t del = (y - ones) & ~y & highs;
        if (std::uint64_t m = below | del) {
            // The lowest flagged byte is exact (borrows only flag bytes above a true one), and
            // x86-64 is little-endian: it is the first such byte in memory.
            auto j = i + static_cast<std::size_t>(__builtin_ctzll(m)) / 8;
            if (s[j] != '\t')
                return j;
            i = j + 1 - 8; // a tab: go on from the byte after it
        }
    }
    for (; i < s.size(); ++i)
        if (common::is_control(static_cast<unsigned char>(s[i])))
            return i;
    return std::string_view::npos;
}

std::size_t find_head_end(std::string_view s, std::size_t from)
{
    // Every head end is an LF followed by "\n" or "\r\n": only LFs are looked at, found sixteen
    // bytes at a time (a memchr call per line was a third of this function's cost).
    auto end_at = [&s](std::size_t i) -> std::size_t {
        if (i + 1 < s.size() && s[i + 1] == '\n')
            return i + 2;
        if (i + 2 < s.size() && s[i + 1] == '\r' && s[i + 2] == '\n')
            return i + 3;
        return std::string_view::npos;
    };
    std::size_t i = from;
#if defined(__SSE2__)
    const __m128i lf = _mm_set1_epi8('\n');
    for (; i + 16 <= s.size(); i += 16) {
        __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + i));
        for (auto m = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(x, lf))); m; m &= m - 1)
            if (auto e = end_at(i + static_cast<std::size_t>(__builtin_ctz(m))); e != std::string_view::npos)
                return e;
    }
#endif
    for (; i < s.size(); ++i)
        if (s[i] == '\n')
            if (auto e = end_at(i); e != std::string_view::npos)
                return e;
    return std::string_view::npos;
}

field_id classify(std::string_view n)
{
    switch (n.size()) {
    case 2:
        if (token_iequals(n, "te"))
            return field_id::te;
        break;
    case 4:
        if (token_iequals(n, "host"))
            return field_id::host;
        break;
    case 6:
        if (token_iequals(n, "expect"))
            return field_id::expect;
        break;
    case 7:
        if (token_iequals(n, "trailer"))
            return field_id::trailer;
        if (token_iequals(n, "upgrade"))
            return field_id::upgrade;
        break;
    case 9:
        if (token_iequals(n, "forwarded"))
            return field_id::forwarded;
        break;
    case 10:
        if (token_iequals(n, "connection"))
            return field_id::connection;
        if (token_iequals(n, "keep-alive"))
            return field_id::keep_alive;
        break;
    case 12:
        if (token_iequals(n, "x-request-id"))
            return field_id::x_request_id;
        break;
    case 13:
        if (token_iequals(n, "authorization"))
            return field_id::authorization;
        if (token_iequals(n, "server-timing"))
            return field_id::server_timing;
        break;
    case 14:
        if (token_iequals(n, "content-length"))
            return field_id::content_length;
        break;
    case 16:
        if (token_iequals(n, "proxy-connection"))
            return field_id::proxy_connection;
        break;
    case 17:
        if (token_iequals(n, "transfer-encoding"))
            return field_id::transfer_encoding;
        break;
    case 18:
        if (token_iequals(n, "proxy-authenticate"))
            return field_id::proxy_authenticate;
        break;
    case 19:
        if (token_iequals(n, "proxy-authorization"))
            return field_id::proxy_authorization;
        break;
    default:
        break;
    }
    if (n.size() > 12 && token_iequals(n.substr(0, 12), "x-forwarded-")) {
        if (token_iequals(n.substr(12), "for"))
            return field_id::x_forwarded_for;
        if (token_iequals(n.substr(12), "proto"))
            return field_id::x_forwarded_proto;
        return field_id::x_forwarded_other;
    }
    return field_id::other;
}

bool hop_by_hop(field_id id)
{
    switch (id) {
    case field_id::connection:
    case field_id::keep_alive:
    case field_id::proxy_connection:
    case field_id::proxy_authenticate:
    case field_id::proxy_authorization:
    case field_id::te:
    case field_id::trailer:
    case field_id::upgrade:
        return true;
    default:
        return false;
    }
}

bool head_fields::named_by_connection(std::string_view name) const
{
    return std::any_of(conn_tokens.begin(), conn_tokens.end(),
                       [&](std::string_view t) { return common::iequals(t, name); });
}

bool parse_response(std::string_view raw, response_head& out, std::size_t max_fields)
{
    out.clear();
    out.raw_size = raw.size();
    // Line by line (find_control finds each CR): CRLF endings only, no control bytes (a bare CR is one),
    // no obs-fold, and the head ends with its first empty line.
    auto next_line = [&](std::size_t pos, std::string_view& line) -> std::size_t {
        auto c = find_control(raw, pos); // must be the CR of a CRLF
        if (c == std::string_view::npos || raw[c] != '\r' || c + 1 >= raw.size() || raw[c + 1] != '\n')
            return std::string_view::npos;
        line = raw.substr(pos, c - pos);
        return c + 2;
    };
    std::string_view line;
    auto pos = next_line(0, line);
    // "HTTP/1.x SSS[ reason]"
    if (pos == std::string_view::npos || line.size() < 12 || line.substr(0, 7) != "HTTP/1." ||
        (line[7] != '0' && line[7] != '1') || line[8] != ' ')
        return false;
    out.version = line[7] == '1' ? 11 : 10;
    unsigned status = 0;
    for (std::size_t i = 9; i < 12; ++i) {
        if (line[i] < '0' || line[i] > '9')
            return false;
        status = status * 10 + static_cast<unsigned>(line[i] - '0');
    }
    // RFC 9110 15: codes outside 100-599 are invalid (some libraries use 6xx-9xx for their own
    // errors); relayed, they would also fall outside the per-status metrics.
    if (status < 100 || status > 599 || (line.size() > 12 && line[12] != ' '))
        return false;
    out.status = status;
    out.reason = line.size() > 13 ? line.substr(13) : std::string_view{};
    for (;;) {
        pos = next_line(pos, line);
        if (pos == std::string_view::npos)
            return false;
        if (line.empty())
            return pos == raw.size() && !out.bad_connection;
        if (line.front() == ' ' || line.front() == '\t')
            return false; // obs-fold
        // A non-empty token, then the colon.
        auto colon = common::token_prefix(line);
        if (colon == 0 || colon == line.size() || line[colon] != ':')
            return false;
        if (out.fields.size() >= max_fields)
            return false;
        add_field_line(out, line, colon);
    }
}

std::optional<framing> response_framing(const response_head& h, bool request_was_head)
{
    std::optional<std::uint64_t> length;
    bool te = false;
    std::string_view last_coding;
    std::size_t chunked_count = 0;
    bool bad_coding = false;
    for (const auto& f : h.fields) {
        if (f.id == field_id::content_length) {
            auto n = common::parse_content_length(f.value);
            if (!n || (length && *length != *n))
                return std::nullopt;
            length = n;
        } else if (f.id == field_id::transfer_encoding) {
            te = true;
            std::size_t codings = 0;
            common::for_each_list_element(f.value, [&](std::string_view c) {
                ++codings;
                auto name = common::transfer_coding_name(c);
                if (!name) {
                    bad_coding = true;
                    return;
                }
                last_coding = *name;
                chunked_count += common::iequals(*name, "chunked");
            });
            // A field naming no coding at all ("Transfer-Encoding: ", ", ,") says nothing a
            // recipient can frame by; Beast refuses it too (found by the beast_differential fuzz
            // target after a chunked field).
            bad_coding = bad_coding || codings == 0;
        }
    }
    if (te && length)
        return std::nullopt; // ambiguous: a smuggling vector, never relayed
    if (chunked_count > 1 || bad_coding)
        return std::nullopt; // chunked applied twice (RFC 9112 6.1), or a coding that is not one
    if (request_was_head || h.status / 100 == 1 || h.status == 204 || h.status == 304)
        return framing{framing::none, 0};
    if (te)
        return common::iequals(last_coding, "chunked") ? framing{framing::chunked, 0}
                                                       : framing{framing::until_close, 0};
    if (length)
        return framing{framing::content_length, *length};
    return framing{framing::until_close, 0};
}

chunked_decoder::result chunked_decoder::decode(const char* in, std::size_t n, char* out, std::size_t cap)
{
    std::size_t i = 0;
    std::size_t produced = 0;
    auto hex = [](char c) -> int {
        if (c >= '0' && c <= '9')
            return c - '0';
        c = static_cast<char>(c | 0x20);
        if (c >= 'a' && c <= 'f')
            return c - 'a' + 10;
        return -1;
    };
    while (i < n && state_ != state::done && state_ != state::failed) {
        char c = in[i];
        switch (state_) {
        case state::size: {
            int d = hex(c);
            if (d >= 0) {
                if (++digits_ > 15) {
                    fail(error::bad_size);
                    break;
                }
                chunk_left_ = chunk_left_ * 16 + static_cast<std::uint64_t>(d);
                ++i;
            } else if (digits_ > 0 && (c == ';' || c == ' ' || c == '\t')) {
                state_ = state::extension;
                ext_ = common::parameter_scanner{};
            } else if (digits_ > 0 && c == '\r') {
                state_ = state::size_lf;
                ++i;
            } else {
                fail(error::bad_size);
            }
            break;
        }
        case state::extension: {
            if (c == '\r') {
                // The line may end after a name or a value, not after whitespace or a bare ';'.
                if (!ext_.complete()) {
                    fail(error::bad_extension);
                    break;
                }
                state_ = state::size_lf;
            } else {
                if (++ext_len_ > max_ext_) {
                    fail(error::extension_too_long);
                    break;
                }
                if (!ext_.feed(static_cast<unsigned char>(c))) {
                    fail(error::bad_extension);
                    break;
                }
            }
            ++i;
            break;
        }
        case state::size_lf:
            if (c != '\n') {
                fail(error::bad_line_end);
                break;
            }
            ++i;
            state_ = chunk_left_ == 0 ? state::trailer_line : state::data;
            break;
        case state::data: {
            if (produced == cap)
                return {i, produced};
            auto take = static_cast<std::size_t>(
                std::min<std::uint64_t>(chunk_left_, std::min(n - i, cap - produced)));
            std::memcpy(out + produced, in + i, take);
            produced += take;
            i += take;
            chunk_left_ -= take;
            total_ += take;
            if (chunk_left_ == 0)
                state_ = state::data_cr;
            break;
        }
        case state::data_cr:
            if (c != '\r') {
                fail(error::bad_line_end);
                break;
            }
            ++i;
            state_ = state::data_lf;
            break;
        case state::data_lf:
            if (c != '\n') {
                fail(error::bad_line_end);
                break;
            }
            ++i;
            digits_ = 0;
            ext_len_ = 0;
            state_ = state::size;
            break;
        case state::trailer_line: {
            if (c == '\r') {
                if (line_len_ > 0 && !line_colon_) {
                    fail(error::bad_trailer);
                    break;
                }
                state_ = state::trailer_lf;
            } else {
                auto u = static_cast<unsigned char>(c);
                if ((u < 0x20 && u != '\t') || u == 0x7f) {
                    fail(error::bad_trailer);
                    break;
                }
                if (++trailer_bytes_ > max_trailer_) {
                    fail(error::trailer_too_long);
                    break;
                }
                // A field line: a token name, then ':' (the value's bytes are checked above).
                if (!line_colon_ &&
                    (c == ':' ? line_len_ == 0 : !common::is_tchar(static_cast<unsigned char>(c)))) {
                    fail(error::bad_trailer);
                    break;
                }
                line_colon_ = line_colon_ || c == ':';
                ++line_len_;
            }
            ++i;
            break;
        }
        case state::trailer_lf:
            if (c != '\n') {
                fail(error::bad_line_end);
                break;
            }
            ++i;
            if (line_len_ == 0) {
                state_ = state::done;
            } else {
                line_len_ = 0;
                line_colon_ = false;
                state_ = state::trailer_line;
            }
            break;
        case state::done:
        case state::failed:
            break;
        }
    }
    return {i, produced};
}

} // namespace proxy::http1
