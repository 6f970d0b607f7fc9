// Reading fields of results.json entries that may be hand-edited, merged or written by another
// tool: any field may be missing or of another type. nlohmann's const operator[] is undefined
// behaviour for a missing key, and get<double>() throws on a string.
#pragma once

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <string>

namespace loadgen {

// j[k]: null when `j` is not an object or has no `k`. A reference: blocks hold histograms.
inline const nlohmann::json& field(const nlohmann::json& j, const char* k)
{
    static const nlohmann::json absent;
    if (!j.is_object())
        return absent;
    auto it = j.find(k);
    return it == j.end() ? absent : *it;
}

// j[k] as a number; 0 when it is absent or not a number.
inline double number_field(const nlohmann::json& j, const char* k)
{
    const auto& v = field(j, k);
    return v.is_number() ? v.get<double>() : 0.0;
}

// j[k] with `decimals` digits, for tables: "-" when it is absent or not a number, never 0.
inline std::string fixed_or_dash(const nlohmann::json& j, const char* k, int decimals)
{
    const auto& v = field(j, k);
    return v.is_number() ? fmt::format("{:.{}f}", v.get<double>(), decimals) : std::string("-");
}

} // namespace loadgen
