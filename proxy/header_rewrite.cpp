// Header rewriting rules (SPEC.md "Proxy behaviour"), written straight into the outgoing head.
#include "proxy/header_rewrite.hpp"

#include "common/http_headers.hpp"
#include "common/url.hpp"

#include <algorithm>
#include <random>

namespace proxy {
namespace {

using http1::field_id;

void append_field(std::string& out, std::string_view name, std::string_view value)
{
    out.append(name);
    out += ": ";
    out.append(value);
    out += "\r\n";
}

// Dropped in both directions: hop-by-hop, named by Connection.
bool hop(const http1::head_fields& h, const http1::field& f)
{
    return http1::hop_by_hop(f.id) || (!h.conn_tokens.empty() && h.named_by_connection(f.name));
}

void append_decimal(std::string& out, std::uint64_t n)
{
    char buf[20];
    std::size_t len = 0;
    do {
        buf[len++] = static_cast<char>('0' + n % 10);
        n /= 10;
    } while (n);
    while (len)
        out += buf[--len];
}

} // namespace

std::optional<std::string> map_target(std::string_view target, std::string_view base_path)
{
    if (target.size() < 4 || target.substr(0, 4) != "/v1/")
        return std::nullopt;
    return common::join_path(base_path, target.substr(3));
}

bool method_allowed(std::string_view m)
{
    return m == "GET" || m == "POST" || m == "PUT" || m == "PATCH" || m == "DELETE" || m == "HEAD" ||
           m == "OPTIONS";
}

bool sane_request_id(std::string_view id)
{
    return !id.empty() && id.size() <= 128 &&
           std::all_of(id.begin(), id.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

void make_request_id(std::string& out)
{
    thread_local std::uint64_t prefix =
        std::random_device{}() * 0x9E3779B97F4A7C15ull ^ std::random_device{}();
    thread_local std::uint32_t n = 0;
    static constexpr char hex[] = "0123456789abcdef";
    char buf[24];
    for (int i = 0; i < 16; ++i)
        buf[i] = hex[(prefix >> (60 - 4 * i)) & 15];
    auto c = ++n;
    for (int i = 0; i < 8; ++i)
        buf[16 + i] = hex[(c >> (28 - 4 * i)) & 15];
    out.assign(buf, sizeof buf);
}

std::string make_request_id()
{
    std::string id;
    make_request_id(id);
    return id;
}

void write_request_head(std::string& out, const http1::request_head& h, const request_rewrite& r,
                        std::string& request_id)
{
    out.clear();
    out.append(h.method);
    out += ' ';
    out.append(r.provider ? r.provider->upstream.base_path : std::string_view{});
    out.append(h.target.substr(3)); // "/v1/<rest>" -> base + "/<rest>"
    out += " HTTP/1.1\r\n";
    if (r.provider)
        append_field(out, "Host", r.provider->upstream.host_header());

    const bool replace_auth = r.drop_authorization || (r.provider && r.provider->sets_authorization());
    const http1::field* prior_xff = nullptr;
    const http1::field* prior_proto = nullptr;
    std::string xff;
    request_id.clear();
    for (const auto& f : h.fields) {
        switch (f.id) {
        case field_id::content_length:
        case field_id::transfer_encoding:
            append_field(out, f.name, f.value); // framing: relayed as the client sent it
            continue;
        case field_id::host:
        case field_id::expect:
            continue;
        case field_id::authorization:
            if (!replace_auth && !hop(h, f))
                append_field(out, f.name, f.value);
            continue;
        case field_id::x_request_id:
            if (request_id.empty() && sane_request_id(f.value))
                request_id.assign(f.value);
            continue;
        case field_id::x_forwarded_for:
            if (r.trust_forwarded) {
                if (prior_xff) {
                    if (xff.empty())
                        xff.assign(prior_xff->value);
                    xff.append(", ").append(f.value);
                }
                prior_xff = &f;
            }
            continue;
        case field_id::x_forwarded_proto:
            if (r.trust_forwarded && !prior_proto)
                prior_proto = &f;
            continue;
        case field_id::forwarded:
        case field_id::x_forwarded_other:
            if (r.trust_forwarded && !hop(h, f))
                append_field(out, f.name, f.value);
            continue;
        default:
            break;
        }
        if (hop(h, f))
            continue;
        if (r.provider &&
            std::any_of(r.provider->headers.begin(), r.provider->headers.end(),
                        [&](const common::added_header& a) { return common::iequals(a.name, f.name); }))
            continue;
        append_field(out, f.name, f.value);
    }
    if (r.provider)
        for (const auto& a : r.provider->headers)
            append_field(out, a.name, a.value);
    out += "X-Forwarded-For: ";
    if (prior_xff) {
        out.append(xff.empty() ? prior_xff->value : std::string_view(xff));
        out += ", ";
    }
    out.append(r.client_ip);
    out += "\r\nX-Forwarded-Proto: ";
    out.append(prior_proto ? prior_proto->value : std::string_view("http"));
    out += "\r\n";
    if (request_id.empty())
        make_request_id(request_id);
    append_field(out, "X-Request-Id", request_id);
    out += "\r\n";
}

void append_server_timing(std::string& out, double proxy_ms)
{
    auto us = static_cast<std::uint64_t>(proxy_ms < 0 ? 0 : proxy_ms * 1000.0 + 0.5);
    out += "proxy;dur=";
    append_decimal(out, us / 1000);
    out += '.';
    auto frac = us % 1000;
    out += static_cast<char>('0' + frac / 100);
    out += static_cast<char>('0' + frac / 10 % 10);
    out += static_cast<char>('0' + frac % 10);
}

std::string server_timing_value(double proxy_ms)
{
    std::string s;
    append_server_timing(s, proxy_ms);
    return s;
}

void write_response_head(std::string& out, const http1::response_head& h, std::string_view request_id,
                         double proxy_ms, const response_framing& f, bool keep_alive)
{
    out.clear();
    out += "HTTP/1.1 ";
    append_decimal(out, h.status);
    out += ' ';
    out.append(h.reason);
    out += "\r\n";
    for (const auto& field : h.fields) {
        if (field.id == field_id::content_length || field.id == field_id::transfer_encoding ||
            field.id == field_id::x_request_id || hop(h, field))
            continue;
        append_field(out, field.name, field.value);
    }
    append_field(out, "X-Request-Id", request_id);
    out += "Server-Timing: ";
    append_server_timing(out, proxy_ms);
    out += "\r\n";
    if (f.content_length) {
        out += "Content-Length: ";
        append_decimal(out, *f.content_length);
        out += "\r\n";
    } else if (f.chunked) {
        out += "Transfer-Encoding: chunked\r\n";
    }
    if (!keep_alive)
        out += "Connection: close\r\n";
    out += "\r\n";
}

} // namespace proxy
