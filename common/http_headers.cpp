// HTTP header rules.
#include "common/http_headers.hpp"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <array>

namespace common {
namespace {

char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

} // namespace

bool iequals(std::string_view a, std::string_view b)
{
    return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                      [](char x, char y) { return lower(x) == lower(y); });
}

bool is_hop_by_hop(std::string_view name)
{
    static constexpr std::array<std::string_view, 9> names = {"connection",
                                                              "keep-alive",
                                                              "proxy-connection",
                                                              "proxy-authenticate",
                                                              "proxy-authorization",
                                                              "te",
                                                              "trailer",
                                                              "transfer-encoding",
                                                              "upgrade"};
    return std::any_of(names.begin(), names.end(), [&](std::string_view n) { return iequals(n, name); });
}

std::vector<std::string> connection_tokens(std::string_view value)
{
    std::vector<std::string> tokens;
    for_each_list_element(value, [&](std::string_view part) {
        std::string t;
        for (char c : part)
            t += lower(c);
        tokens.push_back(std::move(t));
    });
    return tokens;
}

std::size_t token_prefix(std::string_view s)
{
    std::size_t i = 0;
#if defined(__SSE2__)
    // A byte is a letter when (b | 0x20) - 'a' <= 25 unsigned, a digit when b - '0' <= 9; both
    // as min(x, bound) == x, the unsigned comparison SSE2 has. The first byte that is none of
    // these nor '-' ends the fast part; the table decides from there.
    const __m128i case_bit = _mm_set1_epi8(0x20);
    const __m128i a = _mm_set1_epi8('a');
    const __m128i zero = _mm_set1_epi8('0');
    const __m128i letters = _mm_set1_epi8(25);
    const __m128i digits = _mm_set1_epi8(9);
    const __m128i dash = _mm_set1_epi8('-');
    for (; i + 16 <= s.size(); i += 16) {
        __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + i));
        __m128i l = _mm_sub_epi8(_mm_or_si128(x, case_bit), a);
        __m128i d = _mm_sub_epi8(x, zero);
        __m128i ok = _mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(l, letters), l),
                                  _mm_cmpeq_epi8(_mm_min_epu8(d, digits), d));
        ok = _mm_or_si128(ok, _mm_cmpeq_epi8(x, dash));
        auto m = static_cast<unsigned>(_mm_movemask_epi8(ok));
        if (m != 0xffffu) {
            i += static_cast<std::size_t>(__builtin_ctz(~m));
            break;
        }
    }
#endif
    while (i < s.size() && is_tchar(static_cast<unsigned char>(s[i])))
        ++i;
    return i;
}

bool is_token(std::string_view s)
{
    return !s.empty() && token_prefix(s) == s.size();
}

bool parameter_scanner::feed(unsigned char c)
{
    const bool ws = c == ' ' || c == '\t';
    const bool tchar = is_tchar(c);
    const bool qdtext = c == '\t' || (c >= 0x20 && c != 0x7f); // RFC 9110 5.6.4, obs-text included
    switch (state_) {
    case state::after_item:
        if (ws) {
            ws_ = true;
            return true;
        }
        if (c != ';')
            return false;
        ws_ = false;
        state_ = state::before_name;
        return true;
    case state::before_name:
        if (ws)
            return true;
        if (!tchar)
            return false;
        state_ = state::name;
        return true;
    case state::name:
    case state::token_value:
        if (tchar && !ws_)
            return true;
        if (ws) {
            ws_ = true;
            return true;
        }
        if (c == ';') {
            if (state_ == state::name && value_required_)
                return false;
            ws_ = false;
            state_ = state::before_name;
            return true;
        }
        if (c == '=' && state_ == state::name) {
            ws_ = false;
            state_ = state::before_value;
            return true;
        }
        return false;
    case state::before_value:
        if (ws)
            return true;
        if (c == '"') {
            state_ = state::quoted;
            return true;
        }
        if (!tchar)
            return false;
        state_ = state::token_value;
        return true;
    case state::quoted:
        if (c == '"') {
            state_ = state::after_item;
            return true;
        }
        if (c == '\\') {
            state_ = state::quoted_pair;
            return true;
        }
        return qdtext;
    case state::quoted_pair:
        state_ = state::quoted;
        return qdtext;
    }
    return false;
}

bool parameter_scanner::complete() const
{
    if (ws_)
        return false;
    return state_ == state::after_item || state_ == state::token_value ||
           (state_ == state::name && !value_required_);
}

namespace {

bool valid_parameters(std::string_view s, bool value_required)
{
    parameter_scanner p(value_required);
    for (char c : s)
        if (!p.feed(static_cast<unsigned char>(c)))
            return false;
    return p.complete();
}

} // namespace

bool valid_chunk_extensions(std::string_view s)
{
    return valid_parameters(s, false);
}

bool valid_transfer_parameters(std::string_view s)
{
    return valid_parameters(s, true);
}

std::optional<std::string_view> transfer_coding_name(std::string_view element)
{
    auto semi = element.find(';');
    auto name = trim_ows(element.substr(0, semi));
    if (!is_token(name))
        return std::nullopt;
    if (semi != std::string_view::npos &&
        (iequals(name, "chunked") || !valid_transfer_parameters(element.substr(semi))))
        return std::nullopt;
    return name;
}

} // namespace common
