// Duration, size and count parsing.
#include "common/units.hpp"

#include <charconv>
#include <cmath>
#include <fmt/format.h>

namespace common {
namespace {

struct number_and_suffix
{
    double value;
    std::string_view suffix;
};

std::string_view trim(std::string_view s)
{
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

// Splits "1.5ms" into 1.5 and "ms"; rejects signs, empty numbers and non-finite values.
std::optional<number_and_suffix> split_number(std::string_view text)
{
    text = trim(text);
    std::size_t i = 0;
    while (i < text.size() && ((text[i] >= '0' && text[i] <= '9') || text[i] == '.'))
        ++i;
    if (i == 0)
        return std::nullopt;
    double value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + i, value);
    if (ec != std::errc{} || end != text.data() + i || !std::isfinite(value))
        return std::nullopt;
    return number_and_suffix{value, trim(text.substr(i))};
}

} // namespace

std::optional<std::chrono::nanoseconds> parse_duration(std::string_view text, bare_unit unit)
{
    auto parsed = split_number(text);
    if (!parsed)
        return std::nullopt;
    double ns_per_unit = 0;
    auto s = parsed->suffix;
    if (s.empty())
        ns_per_unit = unit == bare_unit::seconds ? 1e9 : 1e6;
    else if (s == "ns")
        ns_per_unit = 1;
    else if (s == "us" || s == "\xC2\xB5s")
        ns_per_unit = 1e3;
    else if (s == "ms")
        ns_per_unit = 1e6;
    else if (s == "s")
        ns_per_unit = 1e9;
    else if (s == "m" || s == "min")
        ns_per_unit = 60e9;
    else if (s == "h")
        ns_per_unit = 3600e9;
    else
        return std::nullopt;
    double ns = parsed->value * ns_per_unit;
    if (ns > 1e18) // about 31 years: anything larger is a typo, and would overflow
        return std::nullopt;
    return std::chrono::nanoseconds(static_cast<std::int64_t>(std::llround(ns)));
}

std::optional<std::uint64_t> parse_size(std::string_view text)
{
    auto parsed = split_number(text);
    if (!parsed)
        return std::nullopt;
    struct unit_row
    {
        std::string_view name;
        double factor;
    };
    static constexpr unit_row units[] = {
        {"", 1},
        {"B", 1},
        {"k", 1e3},
        {"K", 1e3},
        {"KB", 1e3},
        {"kB", 1e3},
        {"KiB", 1024.0},
        {"M", 1e6},
        {"MB", 1e6},
        {"MiB", 1048576.0},
        {"G", 1e9},
        {"GB", 1e9},
        {"GiB", 1073741824.0},
    };
    for (const auto& u : units) {
        if (u.name == parsed->suffix) {
            double bytes = parsed->value * u.factor;
            if (bytes > 1e18 || bytes != std::floor(bytes))
                return std::nullopt;
            return static_cast<std::uint64_t>(bytes);
        }
    }
    return std::nullopt;
}

std::optional<double> parse_count(std::string_view text)
{
    auto parsed = split_number(text);
    if (!parsed)
        return std::nullopt;
    auto s = parsed->suffix;
    if (s.empty())
        return parsed->value;
    if (s == "k" || s == "K")
        return parsed->value * 1e3;
    if (s == "M" || s == "m")
        return parsed->value * 1e6;
    return std::nullopt;
}

std::string format_duration(std::chrono::nanoseconds d)
{
    const double ns = static_cast<double>(d.count());
    if (ns < 1e3)
        return fmt::format("{}ns", d.count());
    if (ns < 1e6)
        return fmt::format("{:.4g}us", ns / 1e3);
    if (ns < 1e9)
        return fmt::format("{:.4g}ms", ns / 1e6);
    // Whole seconds from 1000 s on: "{:.4g}" would print 99992 s as "9.999e+04s", which neither
    // reads well nor parses back (found by tests/fuzz).
    if (ns < 1e12)
        return fmt::format("{:.4g}s", ns / 1e9);
    return fmt::format("{:.0f}s", ns / 1e9);
}

std::string format_count(std::uint64_t n)
{
    std::string digits = std::to_string(n), out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i != 0 && (digits.size() - i) % 3 == 0)
            out += ',';
        out += digits[i];
    }
    return out;
}

} // namespace common
