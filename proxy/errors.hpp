// Domain errors of the proxy and the one place that maps them to HTTP statuses and to the
// OpenAI-shaped error body a client receives.
#pragma once

#include <string>
#include <string_view>
#include <system_error>

namespace proxy {

enum class proxy_errc
{
    bad_request = 1,      // malformed or ambiguous request
    unauthorized,         // PROXY_API_KEY set and the client did not send it
    not_found,            // path outside /v1/
    method_not_allowed,   // method outside the allowlist, CONNECT
    request_timeout,      // slow head or slow body
    payload_too_large,    // body over --max-body
    uri_too_long,         // target over --max-url
    headers_too_large,    // head bytes or header count over the limits
    upstream_unreachable, // connect refused / failed, connection lost before any response byte
    upstream_malformed,   // bad status line, headers or framing from the upstream
    overloaded,           // pool or client connection limit reached
    upstream_timeout,     // connect, first byte
    version_not_supported,
};

const std::error_category& proxy_category();
std::error_code make_error_code(proxy_errc e);

// HTTP status for an error: 400, 401, 404, 405, 408, 413, 414, 431, 502, 503, 504, 505.
unsigned status_of(proxy_errc e);
// Stable machine-readable code for the OpenAI body's "code" field ("upstream_timeout", ...).
std::string_view code_of(proxy_errc e);
// Default human message.
std::string_view message_of(proxy_errc e);

} // namespace proxy

template <>
struct std::is_error_code_enum<proxy::proxy_errc> : std::true_type
{
};
