// PLACEHOLDER until the hardening branch lands its implementation (which replaces this file):
// accepts everything except what the proxy needs to stay sane (declared body over the limit).
#include "proxy/request_guard.hpp"

namespace proxy {

std::optional<rejection> scan_raw_head(std::string_view head_bytes, const guard_limits& limits)
{
    if (head_bytes.size() > limits.max_header_bytes)
        return rejection{431, "request headers over the limit", "headers_too_large"};
    return std::nullopt;
}

std::optional<rejection> check_request_head(const boost::beast::http::request_header<>&, const guard_limits&)
{
    return std::nullopt;
}

std::optional<rejection> check_chunk_extension(std::string_view ext, const guard_limits& limits)
{
    if (ext.size() > limits.max_chunk_ext_bytes)
        return rejection{400, "chunk extension over the limit", "bad_request"};
    return std::nullopt;
}

} // namespace proxy
