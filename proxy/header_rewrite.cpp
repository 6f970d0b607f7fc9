// Header rewriting rules (SPEC.md "Proxy behaviour"), written straight into the outgoing head.
#include "proxy/header_rewrite.hpp"

#include "common/http_headers.hpp"
#include "common/url.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <random>

namespace proxy {
namespace {

using http1::field_id;

// The decimal digits of n, written at the end of buf.
std::string_view to_decimal(char (&buf)[20], std::uint64_t n)
{
    char* p = buf + sizeof buf;
    do {
        *--p = static_cast<char>('0' + n % 10);
        n /= 10;
    } while (n);
    return {p, static_cast<std::size_t>(buf + sizeof buf - p)};
}

// "proxy;dur=<ms, three decimals>" in buf (10 + 20 + 4 bytes at most).
std::string_view format_server_timing(char (&buf)[40], double proxy_ms)
{
    auto us = static_cast<std::uint64_t>(proxy_ms < 0 ? 0 : proxy_ms * 1000.0 + 0.5);
    char digits[20];
    auto whole = to_decimal(digits, us / 1000);
    constexpr std::string_view prefix = "proxy;dur=";
    char* p = buf;
    std::memcpy(p, prefix.data(), prefix.size());
    p += prefix.size();
    std::memcpy(p, whole.data(), whole.size());
    p += whole.size();
    auto frac = us % 1000;
    *p++ = '.';
    *p++ = static_cast<char>('0' + frac / 100);
    *p++ = static_cast<char>('0' + frac / 10 % 10);
    *p++ = static_cast<char>('0' + frac % 10);
    return {buf, static_cast<std::size_t>(p - buf)};
}

// Writes a head into a string sized once for an upper bound and trimmed at the end: a memcpy per
// piece, no capacity check per append (the appends were a tenth of the proxy's instructions).
// Kept fields that are adjacent in the raw head and written as they came (field::canonical) are
// copied as one run: a usual head's kept fields take one memcpy.
class head_out
{
public:
    head_out(std::string& s, std::size_t bound) : s_(s)
    {
        s_.resize(bound);
        p_ = s_.data();
        end_ = p_ + s_.size();
    }
    ~head_out()
    {
        flush_run();
        s_.resize(static_cast<std::size_t>(p_ - s_.data()));
    }
    head_out(const head_out&) = delete;
    head_out& operator=(const head_out&) = delete;

    void put(std::string_view v)
    {
        flush_run();
        copy(v);
    }
    void put(char c)
    {
        flush_run();
        if (p_ == end_)
            grow(1);
        *p_++ = c;
    }
    void field(std::string_view name, std::string_view value)
    {
        put(name);
        copy(": ");
        copy(value);
        copy("\r\n");
    }
    // A field of the incoming head, forwarded unchanged.
    void keep(const http1::field& f)
    {
        if (!f.canonical) {
            field(f.name, f.value);
            return;
        }
        auto line = f.line();
        if (line.data() != run_end_) {
            flush_run();
            run_begin_ = line.data();
        }
        run_end_ = line.data() + line.size();
    }
    void decimal(std::uint64_t n)
    {
        char buf[20];
        put(to_decimal(buf, n));
    }

private:
    void copy(std::string_view v)
    {
        if (static_cast<std::size_t>(end_ - p_) < v.size())
            grow(v.size());
        // An empty view may hold a null pointer (a status line without a reason), which memcpy
        // must not get even for zero bytes (found by tests/fuzz).
        if (!v.empty())
            std::memcpy(p_, v.data(), v.size());
        p_ += v.size();
    }
    void flush_run()
    {
        if (run_begin_) {
            copy({run_begin_, static_cast<std::size_t>(run_end_ - run_begin_)});
            run_begin_ = run_end_ = nullptr;
        }
    }
    // The bound is computed to hold; should it ever not, grow instead of overflowing (out of line:
    // the checks above stay small enough to inline).
    [[gnu::noinline]] void grow(std::size_t n)
    {
        auto used = static_cast<std::size_t>(p_ - s_.data());
        s_.resize(2 * (used + n));
        p_ = s_.data() + used;
        end_ = s_.data() + s_.size();
    }

    std::string& s_;
    char* p_;
    char* end_;
    const char* run_begin_ = nullptr; // a run of kept raw lines not copied yet
    const char* run_end_ = nullptr;
};

// Dropped in both directions: hop-by-hop, named by Connection.
bool hop(const http1::head_fields& h, const http1::field& f)
{
    return http1::hop_by_hop(f.id) || (!h.conn_tokens.empty() && h.named_by_connection(f.name));
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
    static constexpr char hex[] = "0123456789abcdef";
    // 16 hex digits of per-thread randomness, formatted once per thread.
    thread_local const std::array<char, 16> prefix = [] {
        std::uint64_t r = std::random_device{}() * 0x9E3779B97F4A7C15ull ^ std::random_device{}();
        std::array<char, 16> p{};
        for (int i = 0; i < 16; ++i)
            p[static_cast<std::size_t>(i)] = hex[(r >> (60 - 4 * i)) & 15];
        return p;
    }();
    thread_local std::uint32_t n = 0;
    char buf[24];
    std::memcpy(buf, prefix.data(), 16);
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
    std::string host_storage;
    std::string_view host = r.host_header;
    if (host.empty() && r.provider)
        host = host_storage = r.provider->upstream.host_header();
    std::string_view base =
        r.provider ? std::string_view(r.provider->upstream.base_path) : std::string_view{};
    // Every kept field is in the raw head; added: the base path, "Host: ", X-Forwarded-For/-Proto
    // and a generated X-Request-Id (about 110 bytes besides the values counted here). The string
    // keeps this capacity for the connection's next requests, so the slack is kept small.
    std::size_t bound = h.raw_size + base.size() + host.size() + r.client_ip.size() + 160;
    if (r.provider)
        for (const auto& a : r.provider->headers)
            bound += a.name.size() + a.value.size() + 4;
    // Trusted X-Forwarded-For values come first: find them before writing.
    const bool replace_auth = r.drop_authorization || (r.provider && r.provider->sets_authorization());
    request_id.clear();
    head_out o(out, bound);
    o.put(h.method);
    o.put(' ');
    o.put(base);
    o.put(h.target.substr(3)); // "/v1/<rest>" -> base + "/<rest>"
    o.put(" HTTP/1.1\r\n");
    if (!host.empty())
        o.field("Host", host);
    const http1::field* prior_proto = nullptr;
    bool any_prior_xff = false;
    for (const auto& f : h.fields) {
        switch (f.id) {
        case field_id::content_length:
        case field_id::transfer_encoding:
            o.keep(f); // framing: relayed as the client sent it
            continue;
        case field_id::host:
        case field_id::expect:
            continue;
        case field_id::authorization:
            if (!replace_auth && !hop(h, f))
                o.keep(f);
            continue;
        case field_id::x_request_id:
            if (request_id.empty() && sane_request_id(f.value))
                request_id.assign(f.value);
            continue;
        case field_id::x_forwarded_for:
            any_prior_xff = any_prior_xff || r.trust_forwarded;
            continue;
        case field_id::x_forwarded_proto:
            if (r.trust_forwarded && !prior_proto)
                prior_proto = &f;
            continue;
        case field_id::forwarded:
        case field_id::x_forwarded_other:
            if (r.trust_forwarded && !hop(h, f))
                o.keep(f);
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
        o.keep(f);
    }
    if (r.provider)
        for (const auto& a : r.provider->headers)
            o.field(a.name, a.value);
    o.put("X-Forwarded-For: ");
    if (any_prior_xff)
        for (const auto& f : h.fields)
            if (f.id == field_id::x_forwarded_for) {
                o.put(f.value);
                o.put(", ");
            }
    o.put(r.client_ip);
    o.put("\r\nX-Forwarded-Proto: ");
    o.put(prior_proto ? prior_proto->value : std::string_view("http"));
    o.put("\r\nX-Request-Id: ");
    if (request_id.empty())
        make_request_id(request_id);
    o.put(request_id);
    o.put("\r\n\r\n");
}

void append_server_timing(std::string& out, double proxy_ms)
{
    char buf[40];
    out.append(format_server_timing(buf, proxy_ms));
}

std::string server_timing_value(double proxy_ms)
{
    char buf[40];
    return std::string(format_server_timing(buf, proxy_ms));
}

void write_response_head(std::string& out, const http1::response_head& h, std::string_view request_id,
                         double proxy_ms, const response_framing& f, bool keep_alive)
{
    char timing_buf[40];
    auto timing = format_server_timing(timing_buf, proxy_ms);
    // Added to the kept fields: X-Request-Id, Server-Timing, the framing and Connection: close.
    head_out o(out, h.raw_size + request_id.size() + timing.size() + 128);
    o.put("HTTP/1.1 ");
    o.decimal(h.status);
    o.put(' ');
    o.put(h.reason);
    o.put("\r\n");
    for (const auto& field : h.fields) {
        if (field.id == field_id::content_length || field.id == field_id::transfer_encoding ||
            field.id == field_id::x_request_id || hop(h, field))
            continue;
        o.keep(field);
    }
    // Constant text in as few pieces as possible: each piece is a memcpy call.
    o.put("X-Request-Id: ");
    o.put(request_id);
    o.put("\r\nServer-Timing: ");
    o.put(timing);
    if (f.content_length) {
        o.put("\r\nContent-Length: ");
        o.decimal(*f.content_length);
    } else if (f.chunked) {
        o.put("\r\nTransfer-Encoding: chunked");
    }
    o.put(keep_alive ? std::string_view("\r\n\r\n") : std::string_view("\r\nConnection: close\r\n\r\n"));
}

} // namespace proxy
