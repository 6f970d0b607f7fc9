// HTTP header rules.
#include "common/http_headers.hpp"

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

bool is_token(std::string_view s)
{
    return !s.empty() &&
           std::all_of(s.begin(), s.end(), [](char c) { return is_tchar(static_cast<unsigned char>(c)); });
}

namespace {

// *( BWS ";" BWS name [ BWS "=" BWS ( token / quoted-string ) ] ), "=value" required or not.
bool valid_parameters(std::string_view s, bool value_required)
{
    std::size_t i = 0;
    auto ws = [&] {
        while (i < s.size() && (s[i] == ' ' || s[i] == '\t'))
            ++i;
    };
    auto token = [&] {
        auto start = i;
        while (i < s.size() && is_tchar(static_cast<unsigned char>(s[i])))
            ++i;
        return i > start;
    };
    auto quoted = [&] { // qdtext / quoted-pair (RFC 9110 5.6.4)
        for (++i; i < s.size(); ++i) {
            auto c = static_cast<unsigned char>(s[i]);
            if (c == '"') {
                ++i;
                return true;
            }
            if (c == '\\') {
                if (++i == s.size())
                    return false;
                c = static_cast<unsigned char>(s[i]);
                if (c != '\t' && (c < 0x20 || c == 0x7f))
                    return false;
            } else if (c != '\t' && (c < 0x20 || c == 0x7f)) {
                return false;
            }
        }
        return false;
    };
    while (i < s.size()) {
        ws(); // BWS is allowed before each ";" only, not at the end of the line
        if (i == s.size() || s[i] != ';')
            return false;
        ++i;
        ws();
        if (!token())
            return false;
        auto after_name = i;
        ws();
        if (i < s.size() && s[i] == '=') {
            ++i;
            ws();
            if ((i < s.size() && s[i] == '"') ? !quoted() : !token())
                return false;
        } else if (value_required) {
            return false;
        } else {
            i = after_name;
        }
    }
    return true;
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
