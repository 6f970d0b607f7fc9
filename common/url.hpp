// Parsing of upstream base URLs ("https://openrouter.ai/api/v1", "http://[::1]:3039/v1") and
// joining a client path onto them. Pure, no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace common {

struct url
{
    std::string scheme;    // "http" or "https"
    std::string host;      // without brackets for IPv6 literals
    std::uint16_t port{};  // explicit or the scheme's default
    std::string base_path; // "" or "/api/v1": never ends with '/'

    bool tls() const { return scheme == "https"; }
    // Value for the Host header: port omitted when it is the scheme's default.
    std::string host_header() const;
    // "scheme://host:port/base_path" with IPv6 hosts bracketed.
    std::string to_string() const;
};

// Returns nullopt for anything but an absolute http(s) URL with a host; no userinfo,
// query or fragment (a base URL has none).
std::optional<url> parse_url(std::string_view text);

// "/api/v1" + "/chat/completions?x=1" -> "/api/v1/chat/completions?x=1". `rest` starts with '/'
// or '?' or is empty.
std::string join_path(std::string_view base_path, std::string_view rest);

} // namespace common
