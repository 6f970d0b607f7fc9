// URL parsing for upstream base URLs.
#include "common/url.hpp"

#include <charconv>

namespace common {

std::string url::host_header() const
{
    const bool default_port = (scheme == "http" && port == 80) || (scheme == "https" && port == 443);
    std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
    return default_port ? h : h + ":" + std::to_string(port);
}

std::string url::to_string() const
{
    std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
    return scheme + "://" + h + ":" + std::to_string(port) + base_path;
}

std::optional<url> parse_url(std::string_view text)
{
    url u;
    auto sep = text.find("://");
    if (sep == std::string_view::npos)
        return std::nullopt;
    for (char c : text.substr(0, sep))
        u.scheme += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    if (u.scheme != "http" && u.scheme != "https")
        return std::nullopt;
    auto rest = text.substr(sep + 3);
    auto slash = rest.find('/');
    auto authority = rest.substr(0, slash);
    auto path = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash);
    if (authority.empty() || authority.find('@') != std::string_view::npos ||
        path.find_first_of("?# ") != std::string_view::npos)
        return std::nullopt;

    std::string_view port_text;
    if (authority.front() == '[') {
        auto close = authority.find(']');
        if (close == std::string_view::npos)
            return std::nullopt;
        u.host = std::string(authority.substr(1, close - 1));
        auto after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':')
                return std::nullopt;
            port_text = after.substr(1);
        }
    } else {
        auto colon = authority.find(':');
        u.host = std::string(authority.substr(0, colon));
        if (colon != std::string_view::npos)
            port_text = authority.substr(colon + 1);
    }
    if (u.host.empty())
        return std::nullopt;
    for (char c : u.host) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                  c == '-' || c == ':' || c == '_';
        if (!ok)
            return std::nullopt;
    }
    if (port_text.empty()) {
        u.port = u.tls() ? 443 : 80;
    } else {
        unsigned value = 0;
        auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
        if (ec != std::errc{} || end != port_text.data() + port_text.size() || value == 0 || value > 65535)
            return std::nullopt;
        u.port = static_cast<std::uint16_t>(value);
    }
    while (!path.empty() && path.back() == '/')
        path.remove_suffix(1);
    u.base_path = std::string(path);
    return u;
}

std::string join_path(std::string_view base_path, std::string_view rest)
{
    std::string out(base_path);
    if (rest.empty() || rest.front() == '?')
        out += out.empty() ? "/" : "";
    out += rest;
    return out;
}

} // namespace common
