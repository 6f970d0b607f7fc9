// Header rewriting, sans-I/O and without Beast: the head the proxy sends upstream for a client's
// request and the head it sends back for an upstream's response, written straight from the
// parsed views (http1.hpp) into a reused string; plus the client path -> upstream path mapping.
#pragma once

#include "proxy/config.hpp"
#include "proxy/http1.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace proxy {

// "/v1/<rest>?q" -> "<base_path>/<rest>?q"; nullopt for anything outside /v1/ (404).
std::optional<std::string> map_target(std::string_view target, std::string_view base_path);

// GET POST PUT PATCH DELETE HEAD OPTIONS (methods are case-sensitive).
bool method_allowed(std::string_view method);

struct request_rewrite
{
    const provider_config* provider = nullptr;
    std::string_view client_ip;      // peer address of the client connection
    bool trust_forwarded = false;    // keep and extend the client's Forwarded / X-Forwarded-*
    bool drop_authorization = false; // the client's Authorization was the proxy's own inbound key
    std::string_view host_header;    // the upstream's Host value (empty: computed from the provider)
};

// Writes "METHOD target HTTP/1.1" and the fields of `h` into `out`, minus hop-by-hop headers (and
// those named by Connection), Expect, Host and, unless trusted, Forwarded / X-Forwarded-*; then
// Host from the config, the provider's headers (a configured Authorization replaces the
// client's), X-Forwarded-For/-Proto and X-Request-Id (kept when the client sent a sane one, made
// otherwise, and stored in `request_id`). Content-Length / Transfer-Encoding are kept as the
// client sent them: the guard accepted exactly one of them, and the body is relayed in the same
// framing.
// The target is map_target(h.target, provider base path), which the caller has checked exists.
void write_request_head(std::string& out, const http1::request_head& h, const request_rewrite& r,
                        std::string& request_id);

// How the proxy frames the body it sends to the client.
struct response_framing
{
    std::optional<std::uint64_t> content_length; // "Content-Length: n"
    bool chunked = false;                        // "Transfer-Encoding: chunked"
};

// Writes "HTTP/1.1 status reason" and the fields of the upstream's response minus hop-by-hop
// headers (and those named by Connection), its framing headers and X-Request-Id; then
// X-Request-Id, Server-Timing: proxy;dur=<ms>, the proxy's framing and, when the client
// connection will close, "Connection: close".
void write_response_head(std::string& out, const http1::response_head& h, std::string_view request_id,
                         double proxy_ms, const response_framing& f, bool keep_alive);

// "proxy;dur=0.123"
std::string server_timing_value(double proxy_ms);
// Appends the same without allocating.
void append_server_timing(std::string& out, double proxy_ms);

// A new request id: 16 hex digits of per-thread randomness + 8 of a per-thread counter.
std::string make_request_id();
void make_request_id(std::string& out);

// True for an id the proxy forwards as is: 1..128 visible ASCII characters.
bool sane_request_id(std::string_view id);

} // namespace proxy
