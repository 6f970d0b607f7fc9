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

} // namespace common
