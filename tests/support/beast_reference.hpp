// Beast's HTTP/1 parser as the reference the proxy's own parsing is compared with: by the
// differential unit test (tests/unit/proxy_differential_test.cpp) on generated heads, and by the
// beast_differential fuzz target on whatever libFuzzer finds. Header-only: the fuzz project
// compiles it with clang without the suite's Beast library.
#pragma once

#include "common/http_headers.hpp"
#include "proxy/http1.hpp"

#include <algorithm>
#include <boost/asio/buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace test_support {

// Beast's reading of a head: its error, and what it found when there was none.
template <bool isRequest>
struct beast_head
{
    boost::beast::error_code ec;
    boost::beast::http::parser<isRequest, boost::beast::http::empty_body> p;
};

// Parses a whole head (up to and including its blank line) with limits out of the way.
// `head_request`: a response to HEAD, which has no body whatever it declares.
template <bool isRequest>
void parse_with_beast(std::string_view head, beast_head<isRequest>& out, bool head_request = false)
{
    namespace http = boost::beast::http;
    out.p.header_limit(1 << 20);
    out.p.body_limit(boost::none);
    out.p.eager(false);
    if constexpr (!isRequest)
        out.p.skip(head_request);
    out.p.put(boost::asio::buffer(head.data(), head.size()), out.ec);
    if (out.ec == http::error::need_more && out.p.is_header_done())
        out.ec = {};
    if (!out.ec && !out.p.is_header_done())
        out.ec = http::error::need_more;
}

// Beast's framing of a head it accepted, in the proxy's terms.
template <bool isRequest>
proxy::http1::framing
beast_framing(const boost::beast::http::parser<isRequest, boost::beast::http::empty_body>& p)
{
    using proxy::http1::framing;
    if (p.is_done()) // no body follows the head (Content-Length: 0, 1xx, 204, 304, HEAD)
        return {framing::none, 0};
    if (p.chunked())
        return {framing::chunked, 0};
    if (auto n = p.content_length())
        return *n == 0 ? framing{framing::none, 0} : framing{framing::content_length, *n};
    if (p.need_eof())
        return {framing::until_close, 0};
    return {framing::none, 0};
}

// The proxy's framing, with "Content-Length: 0" and no body at all counted as one.
inline proxy::http1::framing normalised(proxy::http1::framing f)
{
    if (f.kind == proxy::http1::framing::content_length && f.length == 0)
        return {proxy::http1::framing::none, 0};
    return f;
}

inline bool same(proxy::http1::framing a, proxy::http1::framing b)
{
    return a.kind == b.kind && a.length == b.length;
}

// Transfer codings that name chunked before their last one ("chunked, identity"): the proxy
// reads such a response until the upstream closes (RFC 9112 6.3), Beast refuses it.
inline bool chunked_not_last(const proxy::http1::response_head& h)
{
    std::vector<std::string_view> codings;
    for (const auto& f : h.fields) {
        if (f.id != proxy::http1::field_id::transfer_encoding)
            continue;
        common::for_each_list_element(f.value, [&](std::string_view c) { codings.push_back(c); });
    }
    return codings.size() > 1 && !common::iequals(codings.back(), "chunked") &&
           std::any_of(codings.begin(), codings.end() - 1,
                       [](std::string_view c) { return common::iequals(c, "chunked"); });
}

} // namespace test_support
