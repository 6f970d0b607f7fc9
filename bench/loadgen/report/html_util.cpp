// HTML report helpers: escaping, number formatting and tolerant access to results.json fields.
#include "bench/loadgen/report/html_util.hpp"

#include "bench/loadgen/overhead.hpp"

#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

namespace loadgen::html {

std::string escape(std::string_view text)
{
    std::string out;
    out.reserve(text.size() + text.size() / 8);
    for (char c : text) {
        switch (c) {
        case '&':
            out += "&amp;";
            break;
        case '<':
            out += "&lt;";
            break;
        case '>':
            out += "&gt;";
            break;
        case '"':
            out += "&quot;";
            break;
        case '\'':
            out += "&#39;";
            break;
        case '\0':
            out += "\xEF\xBF\xBD";
            break; // U+FFFD: NUL is not allowed in HTML text
        default:
            out += c;
        }
    }
    return out;
}

std::string escape_json_value(const nlohmann::json& value)
{
    if (value.is_string()) {
        const auto& text = value.get_ref<const std::string&>();
        return text.empty() ? "(empty)" : escape(text);
    }
    // `replace` keeps invalid UTF-8 from throwing; the page is still escaped afterwards.
    return escape(value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

std::string number(std::optional<double> value, int decimals)
{
    if (!value || !std::isfinite(*value))
        return "n/a";
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, *value);
    std::string s = buf;
    if (s == "-0" || s.find_first_not_of("-0.") == std::string::npos)
        s.erase(0, s[0] == '-' ? 1 : 0); // no "-0.00"
    return s;
}

std::string with_unit(std::optional<double> value, int decimals, const std::string& unit)
{
    std::string s = number(value, decimals);
    return s == "n/a" ? s : s + ' ' + unit;
}

std::string signed_number(std::optional<double> value, int decimals)
{
    std::string s = number(value, decimals);
    if (value && std::isfinite(*value) && s[0] != '-' && s.find_first_not_of("0.") != std::string::npos)
        s = "+" + s; // not insert(0, "+"): GCC 12 -Wrestrict false positive (PR 105651)
    return s;
}

std::string trimmed(double value, int max_decimals)
{
    std::string s = number(value, max_decimals);
    if (s.find('.') != std::string::npos) {
        s.erase(s.find_last_not_of('0') + 1);
        if (s.back() == '.')
            s.pop_back();
    }
    return s;
}

std::string auto_number(double value)
{
    if (!std::isfinite(value))
        return "n/a";
    double a = std::fabs(value);
    int decimals = a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : 3;
    return number(value, decimals);
}

std::optional<double> get_number(const nlohmann::json& obj, std::string_view key)
{
    if (!obj.is_object())
        return std::nullopt;
    auto it = obj.find(key);
    if (it == obj.end() || !it->is_number())
        return std::nullopt;
    double v = it->get<double>();
    if (!std::isfinite(v))
        return std::nullopt;
    return v;
}

const nlohmann::json* get_object(const nlohmann::json& obj, std::string_view key)
{
    if (!obj.is_object())
        return nullptr;
    auto it = obj.find(key);
    return it != obj.end() && it->is_object() ? &*it : nullptr;
}

const nlohmann::json* get_array(const nlohmann::json& obj, std::string_view key)
{
    if (!obj.is_object())
        return nullptr;
    auto it = obj.find(key);
    return it != obj.end() && it->is_array() ? &*it : nullptr;
}

std::optional<std::string> get_string(const nlohmann::json& obj, std::string_view key)
{
    if (!obj.is_object())
        return std::nullopt;
    auto it = obj.find(key);
    if (it == obj.end() || !it->is_string())
        return std::nullopt;
    return it->get<std::string>();
}

estimate get_estimate(const nlohmann::json& obj, std::string_view key)
{
    estimate e;
    if (auto v = get_number(obj, key)) {
        e.value = v;
        return e;
    }
    if (const auto* o = get_object(obj, key)) {
        e.value = get_number(*o, "value");
        e.low = get_number(*o, "ci_low");
        e.high = get_number(*o, "ci_high");
        auto beyond = get_number(*o, "tail_samples");
        e.few_beyond = beyond && *beyond < static_cast<double>(min_tail_samples);
    }
    return e;
}

std::string term(const std::string& dt_html, const std::string& dd_html)
{
    return "<div><dt>" + dt_html + "</dt><dd>" + dd_html + "</dd></div>";
}

} // namespace loadgen::html
