// The proxy's own head parsing against Beast's parser (tests/support/beast_reference.hpp), on the
// heads libFuzzer finds: two parsers that disagree on a message are where request smuggling
// comes from. Whatever the proxy accepts, Beast accepts too and reads the same method, target,
// version, status and body framing. The two named exceptions are the unit test's: a response whose
// codings end in one other than chunked (the proxy reads it until close, Beast refuses it) and a
// status line without the space before an empty reason (compared with the space added).
#include "proxy/http1.hpp"
#include "proxy/request_guard.hpp"
#include "tests/fuzz/fuzz_support.hpp"
#include "tests/support/beast_reference.hpp"

#include <string>

namespace {

namespace http = boost::beast::http;
using proxy::http1::framing;
using namespace test_support;

void request(std::string_view head)
{
    const proxy::guard_limits roomy{1 << 20, 1000, 1 << 20, ~0ull, 1024};
    proxy::http1::request_head ours;
    if (proxy::check_request(head, roomy, ours))
        return;
    beast_head<true> b;
    parse_with_beast(head, b);
    fuzz::require(!b.ec, "Beast accepts every request head the proxy accepts");
    const auto& bh = b.p.get();
    fuzz::require(std::string_view(bh.method_string()) == ours.method, "the same method");
    fuzz::require(std::string_view(bh.target()) == ours.target, "the same target");
    fuzz::require(static_cast<int>(bh.version()) == ours.version, "the same version");
    fuzz::require(same(normalised(proxy::request_framing(ours)), beast_framing(b.p)),
                  "the same request framing");
}

void response(std::string_view head, bool head_request)
{
    proxy::http1::response_head ours;
    std::optional<framing> f;
    if (proxy::http1::parse_response(head, ours))
        f = proxy::http1::response_framing(ours, head_request);
    if (!f)
        return;
    const bool no_reason_space = head.find("\r\n") == 12;
    std::string for_beast(head);
    if (no_reason_space)
        for_beast.insert(12, " ");
    beast_head<false> b;
    parse_with_beast(for_beast, b, head_request);
    if (b.ec == http::error::bad_transfer_encoding && chunked_not_last(ours)) {
        fuzz::require(f->kind == framing::until_close || f->kind == framing::none,
                      "codings ending in one other than chunked are read until close");
        return;
    }
    fuzz::require(!b.ec, "Beast accepts every response head the proxy relays");
    fuzz::require(b.p.get().result_int() == ours.status, "the same status");
    fuzz::require(static_cast<int>(b.p.get().version()) == ours.version, "the same version");
    if (head_request)
        fuzz::require(f->kind == framing::none, "no body after a response to HEAD");
    else
        fuzz::require(same(normalised(*f), beast_framing(b.p)), "the same response framing");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    fuzz::input in(data, size);
    const auto choice = in.byte();
    const auto bytes = in.rest();
    auto end = proxy::http1::find_head_end(bytes);
    if (end == std::string_view::npos)
        return 0;
    const std::string head(bytes.substr(0, end));
    if (choice & 1)
        response(head, (choice & 2) != 0);
    else
        request(head);
    return 0;
}
