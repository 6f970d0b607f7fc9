// The proxy's error category: every domain error maps to its status here and nowhere else.
#include "proxy/errors.hpp"

namespace proxy {
namespace {

struct entry
{
    unsigned status;
    std::string_view code;
    std::string_view message;
};

entry lookup(proxy_errc e)
{
    switch (e) {
    case proxy_errc::bad_request:
        return {400, "bad_request", "malformed or ambiguous request"};
    case proxy_errc::unauthorized:
        return {401, "invalid_api_key", "missing or invalid proxy API key"};
    case proxy_errc::not_found:
        return {404, "not_found", "unknown path: the proxy forwards /v1/*"};
    case proxy_errc::method_not_allowed:
        return {405, "method_not_allowed", "method not allowed"};
    case proxy_errc::request_timeout:
        return {408, "request_timeout", "request not received in time"};
    case proxy_errc::payload_too_large:
        return {413, "payload_too_large", "request body over the limit"};
    case proxy_errc::uri_too_long:
        return {414, "uri_too_long", "request target over the limit"};
    case proxy_errc::headers_too_large:
        return {431, "headers_too_large", "request headers over the limit"};
    case proxy_errc::upstream_unreachable:
        return {502, "upstream_unreachable", "upstream unreachable"};
    case proxy_errc::upstream_malformed:
        return {502, "upstream_malformed", "upstream sent a malformed response"};
    case proxy_errc::overloaded:
        return {503, "overloaded", "proxy connection limit reached"};
    case proxy_errc::upstream_timeout:
        return {504, "upstream_timeout", "upstream did not answer in time"};
    case proxy_errc::version_not_supported:
        return {505, "http_version_not_supported", "HTTP version not supported"};
    }
    return {500, "internal_error", "internal error"};
}

class category final : public std::error_category
{
public:
    const char* name() const noexcept override { return "proxy"; }
    std::string message(int ev) const override
    {
        return std::string(lookup(static_cast<proxy_errc>(ev)).message);
    }
};

} // namespace

const std::error_category& proxy_category()
{
    static const category c;
    return c;
}

std::error_code make_error_code(proxy_errc e)
{
    return {static_cast<int>(e), proxy_category()};
}
unsigned status_of(proxy_errc e)
{
    return lookup(e).status;
}
std::string_view code_of(proxy_errc e)
{
    return lookup(e).code;
}
std::string_view message_of(proxy_errc e)
{
    return lookup(e).message;
}

} // namespace proxy
