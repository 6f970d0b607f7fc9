// Header rewriting rules (SPEC.md "Proxy behaviour").
#include "proxy/header_rewrite.hpp"

#include "common/http_headers.hpp"
#include "common/url.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <random>
#include <vector>

namespace proxy {
namespace http = boost::beast::http;

namespace {

bool named_by_connection(std::string_view name, const std::vector<std::string>& tokens)
{
    return std::any_of(tokens.begin(), tokens.end(),
                       [&](const std::string& t) { return common::iequals(t, name); });
}

bool is_forwarding_header(std::string_view name)
{
    return common::iequals(name, "forwarded") ||
           (name.size() > 12 && common::iequals(name.substr(0, 12), "x-forwarded-"));
}

template <bool isRequest>
std::vector<std::string> connection_named(const http::header<isRequest>& h)
{
    std::vector<std::string> tokens;
    for (auto name : {http::field::connection, http::field::proxy_connection})
        for (auto it = h.find(name); it != h.end() && it->name() == name; ++it) {
            auto t = common::connection_tokens(std::string_view(it->value().data(), it->value().size()));
            tokens.insert(tokens.end(), t.begin(), t.end());
        }
    return tokens;
}

std::string_view sv(boost::beast::string_view s)
{
    return {s.data(), s.size()};
}

// Hop-by-hop headers are all known to Beast: compare enums, not strings, on the hot path.
bool hop_by_hop(http::field f)
{
    switch (f) {
    case http::field::connection:
    case http::field::keep_alive:
    case http::field::proxy_connection:
    case http::field::proxy_authenticate:
    case http::field::proxy_authorization:
    case http::field::te:
    case http::field::trailer:
    case http::field::upgrade:
        return true;
    default:
        return false;
    }
}

} // namespace

std::optional<std::string> map_target(std::string_view target, std::string_view base_path)
{
    if (target.size() < 4 || target.substr(0, 4) != "/v1/")
        return std::nullopt;
    return common::join_path(base_path, target.substr(3));
}

bool method_allowed(http::verb v)
{
    switch (v) {
    case http::verb::get:
    case http::verb::post:
    case http::verb::put:
    case http::verb::patch:
    case http::verb::delete_:
    case http::verb::head:
    case http::verb::options:
        return true;
    default:
        return false;
    }
}

bool sane_request_id(std::string_view id)
{
    return !id.empty() && id.size() <= 128 &&
           std::all_of(id.begin(), id.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

std::string make_request_id()
{
    thread_local std::uint64_t prefix =
        std::random_device{}() * 0x9E3779B97F4A7C15ull ^ std::random_device{}();
    thread_local std::uint64_t n = 0;
    return fmt::format("{:016x}{:08x}", prefix, static_cast<std::uint32_t>(++n));
}

std::string rewrite_request(http::request_header<>& h, const request_rewrite& r)
{
    auto tokens = connection_named(h);
    std::string prior_xff, prior_proto, request_id;
    const bool replace_auth = r.drop_authorization || (r.provider && r.provider->sets_authorization());
    for (auto it = h.begin(); it != h.end();) {
        auto name = sv(it->name_string());
        bool framing =
            it->name() == http::field::content_length || it->name() == http::field::transfer_encoding;
        bool drop = false;
        if (framing)
            drop = false;
        else if (hop_by_hop(it->name()) || (!tokens.empty() && named_by_connection(name, tokens)) ||
                 it->name() == http::field::host || it->name() == http::field::expect)
            drop = true;
        else if (is_forwarding_header(name)) {
            if (r.trust_forwarded && common::iequals(name, "x-forwarded-for"))
                prior_xff = prior_xff.empty() ? std::string(sv(it->value()))
                                              : prior_xff + ", " + std::string(sv(it->value()));
            if (r.trust_forwarded && common::iequals(name, "x-forwarded-proto") && prior_proto.empty())
                prior_proto = std::string(sv(it->value()));
            drop = !r.trust_forwarded || common::iequals(name, "x-forwarded-for") ||
                   common::iequals(name, "x-forwarded-proto");
        } else if (it->name() == http::field::authorization)
            drop = replace_auth;
        else if (common::iequals(name, "x-request-id")) {
            if (request_id.empty() && sane_request_id(sv(it->value())))
                request_id = std::string(sv(it->value()));
            drop = true;
        } else if (r.provider)
            drop = std::any_of(r.provider->headers.begin(), r.provider->headers.end(),
                               [&](const common::added_header& a) { return common::iequals(a.name, name); });
        it = drop ? h.erase(it) : std::next(it);
    }
    if (r.provider) {
        h.set(http::field::host, r.provider->upstream.host_header());
        for (const auto& a : r.provider->headers)
            h.insert(a.name, a.value);
    }
    std::string ip(r.client_ip);
    h.set("X-Forwarded-For", prior_xff.empty() ? ip : prior_xff + ", " + ip);
    h.set("X-Forwarded-Proto", prior_proto.empty() ? "http" : prior_proto);
    if (request_id.empty())
        request_id = make_request_id();
    h.set("X-Request-Id", request_id);
    return request_id;
}

std::string server_timing_value(double proxy_ms)
{
    return fmt::format("proxy;dur={:.3f}", proxy_ms);
}

void rewrite_response(http::response_header<>& h, std::string_view request_id, double proxy_ms)
{
    auto tokens = connection_named(h);
    for (auto it = h.begin(); it != h.end();) {
        auto name = sv(it->name_string());
        bool framing =
            it->name() == http::field::content_length || it->name() == http::field::transfer_encoding;
        bool drop =
            !framing && (hop_by_hop(it->name()) || (!tokens.empty() && named_by_connection(name, tokens)) ||
                         (it->name() == http::field::unknown && name.size() == 12 &&
                          common::iequals(name, "x-request-id")));
        it = drop ? h.erase(it) : std::next(it);
    }
    h.set("X-Request-Id", request_id);
    h.insert("Server-Timing", server_timing_value(proxy_ms));
}

} // namespace proxy
