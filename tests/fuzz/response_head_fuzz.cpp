// The proxy's response path without I/O, as relay.cpp runs it: an upstream head is parsed, its
// body framing decided (502 when ambiguous), and the head written to the client.
//
// Properties:
//  - parse_response and response_framing either refuse or give a head whose views stay inside
//    the input and a framing that is one of the four kinds;
//  - the head written to the client parses again, with the same status and reason, exactly the
//    framing the proxy chose (one Content-Length, or chunked, never both), no hop-by-hop field,
//    "Connection: close" when the connection will close, and every end-to-end field kept.
#include "common/http_headers.hpp"
#include "proxy/header_rewrite.hpp"
#include "proxy/http1.hpp"
#include "tests/fuzz/fuzz_support.hpp"

#include <string>

namespace {

using proxy::http1::field_id;
using proxy::http1::framing;

bool inside(std::string_view part, std::string_view whole)
{
    return part.empty() ||
           (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    fuzz::input in(data, size);
    const bool is_head = in.flag();
    const bool client_keep_alive = in.flag();
    const std::string_view bytes = in.rest();

    auto end = proxy::http1::find_head_end(bytes);
    if (end == std::string_view::npos)
        return 0;
    const std::string raw(bytes.substr(0, end));
    proxy::http1::response_head res;
    if (!proxy::http1::parse_response(raw, res, 64))
        return 0; // 502
    fuzz::require(res.status >= 100 && res.status <= 599, "a valid status code (RFC 9110 15)");
    fuzz::require(res.fields.size() <= 64, "the field limit holds");
    fuzz::require(inside(res.reason, raw), "the reason is a view into the head");
    for (const auto& f : res.fields)
        fuzz::require(inside(f.name, raw) && inside(f.value, raw) && !f.name.empty(),
                      "fields are views into the head");

    auto fr = proxy::http1::response_framing(res, is_head);
    if (!fr)
        return 0; // 502
    if (is_head || res.status < 200 || res.status == 204 || res.status == 304)
        fuzz::require(fr->kind == framing::none, "no body for HEAD, 1xx, 204 and 304");
    if (res.status < 200)
        return 0; // interim: not relayed through write_response_head

    // The client's framing, as relay.cpp picks it.
    proxy::response_framing out_framing;
    if (is_head) {
        if (const auto* cl = res.find(field_id::content_length))
            out_framing.content_length = common::parse_content_length(cl->value);
    } else if (fr->kind == framing::content_length) {
        out_framing.content_length = fr->length;
    } else if (fr->kind != framing::none) {
        out_framing.chunked = true;
    }
    std::string out;
    proxy::write_response_head(out, res, "0123456789abcdef01234567", 1.25, out_framing, client_keep_alive);

    proxy::http1::response_head back;
    fuzz::require(proxy::http1::find_head_end(out) == out.size(), "the written head ends where it should");
    fuzz::require(proxy::http1::parse_response(out, back, 1 << 10),
                  "the client can parse the head the proxy writes");
    fuzz::require(back.status == res.status && back.reason == res.reason, "status and reason are kept");
    fuzz::require(back.version == 11, "the proxy answers HTTP/1.1");
    auto back_framing = proxy::http1::response_framing(back, is_head);
    fuzz::require(back_framing.has_value(), "the written framing is unambiguous");
    fuzz::require(back.count(field_id::content_length) + back.count(field_id::transfer_encoding) <= 1,
                  "at most one framing header");
    if (!is_head) {
        if (out_framing.content_length)
            fuzz::require(back_framing->kind == framing::content_length &&
                              back_framing->length == *out_framing.content_length,
                          "the declared length is the relayed one");
        else if (out_framing.chunked)
            fuzz::require(back_framing->kind == framing::chunked, "a re-chunked body is declared chunked");
        else
            fuzz::require(back_framing->kind == framing::none, "a response without a body declares none");
    }
    fuzz::require(back.conn_close == !client_keep_alive,
                  "Connection: close exactly when the connection closes");
    for (const auto& f : back.fields)
        fuzz::require(!proxy::http1::hop_by_hop(f.id) || (f.id == field_id::connection && !client_keep_alive),
                      "no hop-by-hop field from the upstream reaches the client");
    fuzz::require(back.count(field_id::x_request_id) == 1, "one X-Request-Id, the proxy's");

    auto end_to_end = [&](const proxy::http1::field& f) {
        return f.id != field_id::content_length && f.id != field_id::transfer_encoding &&
               f.id != field_id::x_request_id && !proxy::http1::hop_by_hop(f.id) &&
               !res.named_by_connection(f.name);
    };
    fuzz::require(fuzz::fields_kept_in_order(res.fields, back.fields, end_to_end),
                  "every end-to-end field reaches the client unchanged and in order");
    return 0;
}
