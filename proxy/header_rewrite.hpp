// Header rewriting, sans-I/O: what the proxy changes in a request before it goes upstream and in
// a response before it goes back to the client, plus the client path -> upstream path mapping.
#pragma once

#include "proxy/config.hpp"

#include <boost/beast/http/message.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace proxy {

// "/v1/<rest>?q" -> "<base_path>/<rest>?q"; nullopt for anything outside /v1/ (404).
std::optional<std::string> map_target(std::string_view target, std::string_view base_path);

// GET POST PUT PATCH DELETE HEAD OPTIONS.
bool method_allowed(boost::beast::http::verb v);

struct request_rewrite
{
    const provider_config* provider = nullptr;
    std::string_view client_ip;      // peer address of the client connection
    bool trust_forwarded = false;    // keep and extend the client's Forwarded / X-Forwarded-*
    bool drop_authorization = false; // the client's Authorization was the proxy's own inbound key
};

// Strips hop-by-hop headers (and those named by Connection), Expect, Host and, unless trusted,
// Forwarded / X-Forwarded-*; sets Host from the config, the provider's headers (a configured
// Authorization replaces the client's), X-Forwarded-For/-Proto and X-Request-Id (kept when the
// client sent a sane one, made otherwise). Content-Length / Transfer-Encoding are left to the
// caller, which owns the framing. Returns the request id.
std::string rewrite_request(boost::beast::http::request_header<>& h, const request_rewrite& r);

// Strips hop-by-hop headers (and those named by Connection) from an upstream response and
// sets X-Request-Id and Server-Timing: proxy;dur=<ms>. Framing is left to the caller.
void rewrite_response(boost::beast::http::response_header<>& h, std::string_view request_id, double proxy_ms);

// "proxy;dur=0.123"
std::string server_timing_value(double proxy_ms);

// A new request id: 16 hex digits of per-thread randomness + a per-thread counter.
std::string make_request_id();

// True for an id the proxy forwards as is: 1..128 visible ASCII characters.
bool sane_request_id(std::string_view id);

} // namespace proxy
