// The proxy's request path without I/O, in the order client_session runs it: the head's end, the
// guard (scan + split + rules), the body framing, then the head written to the upstream.
//
// Properties:
//  - a rejection is a status the proxy documents, with a printable message;
//  - an accepted head is rewritten into one the proxy's own guard accepts, with the same method
//    and body framing, exactly one Host (the configured one), no hop-by-hop field, no Expect;
//  - every end-to-end field the client sent arrives in order with its value byte for byte;
//  - the upstream never sees the client's Authorization when a key is configured.
#include "common/http_headers.hpp"
#include "proxy/header_rewrite.hpp"
#include "proxy/http1.hpp"
#include "proxy/request_guard.hpp"
#include "tests/fuzz/fuzz_support.hpp"

#include <algorithm>
#include <string>

namespace {

using proxy::http1::field_id;

proxy::provider_config make_provider(bool with_key)
{
    proxy::provider_config p;
    p.name = "portkey";
    p.upstream = *common::parse_url("http://127.0.0.1:8787/base/v1");
    p.headers.push_back({"x-portkey-provider", "openai"});
    if (with_key)
        p.headers.push_back({"Authorization", "Bearer configured-key"});
    return p;
}

bool printable(std::string_view s)
{
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
}

// Fields of `h` that the rewrite keeps as they are (the rest are dropped or replaced).
bool kept_as_is(const proxy::http1::request_head& h, const proxy::http1::field& f,
                const proxy::provider_config& p)
{
    switch (f.id) {
    case field_id::content_length:
    case field_id::transfer_encoding:
        return true;
    case field_id::host:
    case field_id::expect:
    case field_id::authorization:
    case field_id::x_request_id:
    case field_id::x_forwarded_for:
    case field_id::x_forwarded_proto:
    case field_id::forwarded:
    case field_id::x_forwarded_other:
        return false;
    default:
        break;
    }
    if (proxy::http1::hop_by_hop(f.id) || h.named_by_connection(f.name))
        return false;
    return std::none_of(p.headers.begin(), p.headers.end(),
                        [&](const common::added_header& a) { return common::iequals(a.name, f.name); });
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    fuzz::input in(data, size);
    const bool with_key = in.flag();
    const std::string_view bytes = in.rest();

    auto end = proxy::http1::find_head_end(bytes);
    if (end == std::string_view::npos)
        return 0; // the proxy waits for more bytes (its head reader bounds them)
    fuzz::require(end <= bytes.size(), "head end inside the input");
    // The guard sees its own copy: views must not reach past the head.
    const std::string raw(bytes.substr(0, end));

    proxy::guard_limits limits;
    limits.max_header_bytes = 4096;
    limits.max_header_count = 32;
    limits.max_url_bytes = 1024;
    limits.max_body_bytes = 1 << 20;
    proxy::http1::request_head req;
    if (auto rej = proxy::check_request(raw, limits, req)) {
        const auto s = rej->status;
        fuzz::require(s == 400 || s == 405 || s == 413 || s == 414 || s == 431 || s == 505,
                      "a rejection uses a documented status");
        fuzz::require(printable(rej->message) && printable(rej->code), "a rejection's text is printable");
        return 0;
    }
    const auto framing = proxy::request_framing(req);
    fuzz::require(framing.kind != proxy::http1::framing::until_close,
                  "a request body is never close-delimited");
    if (framing.kind == proxy::http1::framing::content_length)
        fuzz::require(framing.length <= limits.max_body_bytes, "a declared body over the limit is rejected");
    if (!proxy::method_allowed(req.method) || !proxy::map_target(req.target, "/base/v1"))
        return 0; // answered 405 / 404 by the session, nothing forwarded

    const auto provider = make_provider(with_key);
    std::string out, request_id;
    proxy::write_request_head(out, req, {&provider, "192.0.2.7", false, false, {}}, request_id);
    fuzz::require(proxy::sane_request_id(request_id), "the request id sent upstream is sane");

    proxy::guard_limits wide;
    wide.max_header_bytes = 1 << 20;
    wide.max_header_count = 1 << 10;
    wide.max_url_bytes = 1 << 20;
    wide.max_body_bytes = limits.max_body_bytes;
    fuzz::require(proxy::http1::find_head_end(out) == out.size(), "the written head ends where it should");
    proxy::http1::request_head up;
    auto again = proxy::check_request(out, wide, up);
    if (again)
        std::fprintf(stderr, "rejected with %u: %s\n%s\n", again->status, again->message.c_str(),
                     out.c_str());
    fuzz::require(!again, "the proxy's guard accepts the head the proxy writes");
    fuzz::require(up.method == req.method, "the method is kept");
    const auto up_framing = proxy::request_framing(up);
    fuzz::require(up_framing.kind == framing.kind && up_framing.length == framing.length,
                  "the body framing is kept");
    fuzz::require(up.count(field_id::host) == 1 && up.find(field_id::host)->value == "127.0.0.1:8787",
                  "one Host, the configured one");
    fuzz::require(up.count(field_id::expect) == 0, "Expect is answered by the proxy, not forwarded");
    fuzz::require(up.conn_tokens.empty(), "no Connection header goes upstream");
    for (const auto& f : up.fields)
        fuzz::require(!proxy::http1::hop_by_hop(f.id), "no hop-by-hop field goes upstream");
    if (with_key) {
        fuzz::require(up.count(field_id::authorization) == 1 &&
                          up.find(field_id::authorization)->value == "Bearer configured-key",
                      "a configured key replaces the client's Authorization");
    }
    fuzz::require(up.find(field_id::x_request_id) && up.find(field_id::x_request_id)->value == request_id,
                  "X-Request-Id carries the request id");

    fuzz::require(fuzz::fields_kept_in_order(
                      req.fields, up.fields,
                      [&](const proxy::http1::field& f) { return kept_as_is(req, f, provider); }),
                  "every end-to-end field reaches the upstream unchanged and in order");
    return 0;
}
