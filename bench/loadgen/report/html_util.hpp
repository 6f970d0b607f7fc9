// HTML report helpers: escaping, number formatting and tolerant access to results.json fields.
// Everything here is pure; a missing, null or non-numeric field reads as "absent", never as 0.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace loadgen::html {

// Escapes & < > " ' so the text is safe in element content and in quoted attribute values.
std::string escape(std::string_view text);

// A JSON value as display text (strings unquoted, others dumped), escaped.
std::string escape_json_value(const nlohmann::json& value);

// Fixed-point with `decimals` digits; "n/a" when absent or not finite.
std::string number(std::optional<double> value, int decimals = 2);
// number() followed by " unit", or plain "n/a" when absent.
std::string with_unit(std::optional<double> value, int decimals, const std::string& unit);
// Like number() but with a leading '+' for positive values (overheads).
std::string signed_number(std::optional<double> value, int decimals = 2);
// At most `max_decimals`, trailing zeros removed: 99.99 -> "99.99", 50 -> "50".
std::string trimmed(double value, int max_decimals);
// Chooses decimals from the magnitude: 1234 -> "1234", 12.3 -> "12.3", 0.123 -> "0.123".
std::string auto_number(double value);

// obj[key] as a finite double, or nullopt when obj is not an object, the key is missing, null,
// not a number or not finite.
std::optional<double> get_number(const nlohmann::json& obj, std::string_view key);
// obj[key] when it is an object, else nullptr.
const nlohmann::json* get_object(const nlohmann::json& obj, std::string_view key);
// obj[key] when it is an array, else nullptr.
const nlohmann::json* get_array(const nlohmann::json& obj, std::string_view key);
// obj[key] as a string, or nullopt.
std::optional<std::string> get_string(const nlohmann::json& obj, std::string_view key);

// An overhead figure: {"value","ci_low","ci_high"} or a bare number (then no interval).
struct estimate
{
    std::optional<double> value;
    std::optional<double> low;
    std::optional<double> high;
    // Fewer than min_tail_samples requests lie beyond this percentile on the smaller side
    // ("tail_samples"): it is one of the slowest few, its interval their spread.
    bool few_beyond = false;
    bool has_interval() const { return value && low && high; }
};
estimate get_estimate(const nlohmann::json& obj, std::string_view key);
// One <dl> entry: <div><dt>term</dt><dd>value</dd></div>; both already escaped/trusted markup.
std::string term(const std::string& dt_html, const std::string& dd_html);

} // namespace loadgen::html
