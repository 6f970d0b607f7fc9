// Server-Timing parsing: metrics are separated by ',', parameters by ';', with optional
// whitespace around both; a parameter value is a token or a quoted string (which may hold ',' or
// ';'). Metric names compare exactly, parameter names without case.
#include "bench/loadgen/server_timing.hpp"

#include "common/http_headers.hpp"

#include <charconv>
#include <cmath>

namespace loadgen {
namespace {

constexpr double max_duration_ms = 1e9; // about 11.6 days: far above any request, and its
                                        // nanoseconds still fit the histograms' 64 bits

bool ows(char c)
{
    return c == ' ' || c == '\t';
}

void skip_ows(std::string_view s, std::size_t& i)
{
    while (i < s.size() && ows(s[i]))
        ++i;
}

// A token at s[i]; empty when none.
std::string_view take_token(std::string_view s, std::size_t& i)
{
    auto start = i;
    while (i < s.size() && common::is_tchar(static_cast<unsigned char>(s[i])))
        ++i;
    return s.substr(start, i - start);
}

// A quoted string at s[i] (which is '"'), without its quotes; false when it does not end.
// Escapes are kept as written: bench only reads numbers, which never hold one.
bool take_quoted(std::string_view s, std::size_t& i, std::string_view& out)
{
    auto start = ++i;
    while (i < s.size() && s[i] != '"') {
        if (s[i] == '\\')
            ++i;
        ++i;
    }
    if (i >= s.size())
        return false;
    out = s.substr(start, i - start);
    ++i;
    return true;
}

double duration_of(std::string_view v)
{
    double out = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
    if (ec != std::errc{} || end != v.data() + v.size() || v.empty())
        return -1;
    if (!std::isfinite(out) || out < 0 || out > max_duration_ms)
        return -1;
    return out;
}

} // namespace

double parse_server_timing(std::string_view s, std::string_view metric)
{
    std::size_t i = 0;
    while (i < s.size()) {
        skip_ows(s, i);
        auto name = take_token(s, i);
        const bool wanted = !name.empty() && name == metric;
        // The metric's parameters, up to the ',' that ends it.
        for (;;) {
            skip_ows(s, i);
            if (i >= s.size() || s[i] == ',')
                break;
            if (s[i] != ';')
                return -1; // malformed: stop rather than guess where the next metric starts
            ++i;
            skip_ows(s, i);
            auto param = take_token(s, i);
            skip_ows(s, i);
            std::string_view value;
            if (i < s.size() && s[i] == '=') {
                ++i;
                skip_ows(s, i);
                if (i < s.size() && s[i] == '"') {
                    if (!take_quoted(s, i, value))
                        return -1;
                } else {
                    value = take_token(s, i);
                }
            }
            if (param.empty())
                return -1;
            if (wanted && common::iequals(param, "dur"))
                return duration_of(value); // the first dur counts
        }
        if (wanted)
            return -1; // the metric without a duration
        if (i < s.size())
            ++i; // the ','
    }
    return -1;
}

} // namespace loadgen
