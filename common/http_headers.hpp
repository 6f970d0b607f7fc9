// HTTP header rules shared by the proxy and the tests: which headers are hop-by-hop
// (RFC 9110 section 7.6.1) and the tokens a Connection header names.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace common {

namespace detail {
constexpr std::array<bool, 256> tchar_table = [] {
    std::array<bool, 256> t{};
    for (int d = '0'; d <= '9'; ++d)
        t[static_cast<std::size_t>(d)] = true;
    for (int l = 'a'; l <= 'z'; ++l)
        t[static_cast<std::size_t>(l)] = t[static_cast<std::size_t>(l - 32)] = true;
    for (char s : std::string_view("!#$%&'*+-.^_`|~"))
        t[static_cast<unsigned char>(s)] = true;
    return t;
}();
constexpr std::array<bool, 256> control_table = [] {
    std::array<bool, 256> t{};
    for (int b = 0; b < 0x20; ++b)
        t[static_cast<std::size_t>(b)] = b != '\t';
    t[0x7f] = true;
    return t;
}();
} // namespace detail

// RFC 9110 tchar: one table lookup (it runs on every byte of every header name on the proxy's
// hot path).
inline bool is_tchar(unsigned char c)
{
    return detail::tchar_table[c];
}

// Length of the run of tchars at the start of `s`: for a header line, the index of its colon
// when its name is valid (one pass finds the colon and checks the name). Letters, digits and '-'
// (every usual header name) are checked sixteen bytes at a time: a table lookup per byte was
// about 500 of the proxy's instructions per request (docs/BENCHMARKS.md).
std::size_t token_prefix(std::string_view s);

// Bytes never allowed in a header line's text: controls other than HTAB, and DEL.
inline bool is_control(unsigned char c)
{
    return detail::control_table[c];
}

// A header value the suite may put on the wire from its configuration (a key from the
// environment, a header from a config file): no control byte, so no CR or LF that would end the
// line and start a header of the value's choosing.
inline bool valid_field_value(std::string_view v)
{
    for (char c : v)
        if (is_control(static_cast<unsigned char>(c)))
            return false;
    return true;
}

// Without leading and trailing SP/HTAB (HTTP's optional whitespace).
inline std::string_view trim_ows(std::string_view v)
{
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t'))
        v.remove_prefix(1);
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t'))
        v.remove_suffix(1);
    return v;
}

// Calls f(element) for each element of a comma-separated list header (RFC 9110 5.6.1), OWS
// trimmed; empty elements ("a, ,b", "chunked,") are skipped, as a recipient must.
template <typename F>
void for_each_list_element(std::string_view value, F&& f)
{
    while (!value.empty()) {
        auto comma = value.find(',');
        auto element = trim_ows(value.substr(0, comma));
        if (!element.empty())
            f(element);
        if (comma == std::string_view::npos)
            break;
        value.remove_prefix(comma + 1);
    }
}

// A decimal Content-Length of at most 19 digits (no sign, no list, so it cannot overflow 64
// bits): the value, or nothing.
inline std::optional<std::uint64_t> parse_content_length(std::string_view v)
{
    if (v.empty() || v.size() > 19)
        return std::nullopt;
    std::uint64_t n = 0;
    for (char c : v) {
        if (c < '0' || c > '9')
            return std::nullopt;
        n = n * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return n;
}

// Connection, Keep-Alive, Proxy-Connection, Proxy-Authenticate, Proxy-Authorization, TE,
// Trailer, Transfer-Encoding, Upgrade. Case-insensitive.
bool is_hop_by_hop(std::string_view name);

// "close, X-Foo ,keep-alive" -> {"close", "x-foo", "keep-alive"} (lower-cased, trimmed).
std::vector<std::string> connection_tokens(std::string_view value);

// RFC 9110 token characters, for header names.
bool is_token(std::string_view s);

// The grammar of chunk extensions (RFC 9112 7.1.1) and of transfer-coding parameters (RFC 9112 7):
// *( BWS ";" BWS name [ BWS "=" BWS ( token / quoted-string ) ] ), names being tokens, no
// whitespace after the last item; `value_required` makes "=value" mandatory (parameters). Fed one
// byte at a time, so that a chunk-size line split between reads is checked as it arrives.
class parameter_scanner
{
public:
    explicit parameter_scanner(bool value_required = false) : value_required_(value_required) {}
    // False when the bytes so far can no longer be the start of a valid list.
    bool feed(unsigned char c);
    // True when the list may end after the bytes fed so far.
    bool complete() const;

private:
    enum class state : std::uint8_t
    {
        after_item,   // at the start, or after a name or a value: BWS then ';' or the end
        before_name,  // after ';'
        name,         // a name
        before_value, // after '='
        token_value,  // a token value
        quoted,       // inside a quoted-string value
        quoted_pair,  // after a backslash in it
    };
    state state_ = state::after_item;
    bool ws_ = false; // whitespace since the last name, value or ';'
    bool value_required_;
};

// What may follow a chunk size on its line, whole (parameter_scanner's grammar): nothing, or
// chunk extensions.
bool valid_chunk_extensions(std::string_view s);

// What follows a transfer coding's name, whole: its parameters (parameter_scanner's grammar,
// the value required).
bool valid_transfer_parameters(std::string_view s);

// One element of a Transfer-Encoding list (already trimmed, as for_each_list_element gives it):
// the coding's name when the element is well formed, a token and then valid parameters, none on
// chunked (RFC 9112 7.1 treats one as an error); nothing otherwise.
std::optional<std::string_view> transfer_coding_name(std::string_view element);

// Case-insensitive ASCII comparison.
bool iequals(std::string_view a, std::string_view b);

} // namespace common
