// Parsing of human-friendly durations ("30s", "250ms", "1.5m") and sizes ("10k", "1MiB").
// Pure functions, no I/O; used by every program's command line and .env.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace common {

// Unit assumed for a bare number ("5"): the original tool's flags took plain seconds.
enum class bare_unit
{
    seconds,
    milliseconds
};

// Accepts ns, us (or µs), ms, s, m, h, and fractions ("1.5s"). Negative values are rejected.
std::optional<std::chrono::nanoseconds> parse_duration(std::string_view text,
                                                       bare_unit unit = bare_unit::seconds);

// Byte sizes: k/K/KB = 1000, KiB = 1024, M/MB, MiB, G/GB, GiB; a bare number is bytes.
std::optional<std::uint64_t> parse_size(std::string_view text);

// Counts such as rates or connection numbers: "2k" = 2000, "1.5M" = 1500000, "250".
std::optional<double> parse_count(std::string_view text);

// "1.5ms", "250us", "2s": the shortest exact-enough rendering, for logs and tables.
std::string format_duration(std::chrono::nanoseconds d);

// "1,000", "10,000": a count with its thousands grouped, for sentences and tables.
std::string format_count(std::uint64_t n);

} // namespace common
