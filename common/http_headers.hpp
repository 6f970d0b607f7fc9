// HTTP header rules shared by the proxy and the tests: which headers are hop-by-hop
// (RFC 9110 section 7.6.1) and the tokens a Connection header names.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace common {

// Connection, Keep-Alive, Proxy-Connection, Proxy-Authenticate, Proxy-Authorization, TE,
// Trailer, Transfer-Encoding, Upgrade. Case-insensitive.
bool is_hop_by_hop(std::string_view name);

// "close, X-Foo ,keep-alive" -> {"close", "x-foo", "keep-alive"} (lower-cased, trimmed).
std::vector<std::string> connection_tokens(std::string_view value);

// RFC 9110 token characters, for header names.
bool is_token(std::string_view s);

// Case-insensitive ASCII comparison.
bool iequals(std::string_view a, std::string_view b);

} // namespace common
