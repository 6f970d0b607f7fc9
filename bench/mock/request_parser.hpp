// HTTP/1.1 request parser of mock-llm: Beast's basic_parser (all the HTTP rules: request line,
// fields, Content-Length, chunked bodies, limits) with callbacks that copy the request into
// per-connection storage reused from one request to the next, instead of http::parser's
// basic_fields and string body, which allocate for every field and every request.
// Included only by session.cpp.
#pragma once

#include "common/net.hpp"

#include <boost/beast/http/basic_parser.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mock {

struct request_storage
{
    struct span
    {
        std::uint32_t offset = 0;
        std::uint32_t length = 0;
    };

    std::string text; // method, target, field names and values, back to back
    span method, target;
    int version = 11; // 10 or 11
    std::vector<std::pair<span, span>> fields;
    std::string body;

    void clear()
    {
        text.clear();
        fields.clear();
        body.clear();
    }
    span add(std::string_view s)
    {
        span sp{static_cast<std::uint32_t>(text.size()), static_cast<std::uint32_t>(s.size())};
        text.append(s);
        return sp;
    }
    std::string_view view(span s) const { return std::string_view(text).substr(s.offset, s.length); }
};

class request_parser final : public http::basic_parser<true>
{
public:
    explicit request_parser(request_storage& s) : s_(s) { s_.clear(); }

private:
    using string_view = boost::beast::string_view;
    using error_code = boost::beast::error_code;

    static std::string_view sv(string_view s) { return std::string_view(s.data(), s.size()); }

    void on_request_impl(http::verb, string_view method, string_view target, int version,
                         error_code&) override
    {
        s_.method = s_.add(sv(method));
        s_.target = s_.add(sv(target));
        s_.version = version;
    }
    void on_response_impl(int, string_view, int, error_code&) override {}
    void on_field_impl(http::field, string_view name, string_view value, error_code&) override
    {
        auto n = s_.add(sv(name));
        s_.fields.emplace_back(n, s_.add(sv(value)));
    }
    void on_header_impl(error_code&) override {}
    void on_body_init_impl(boost::optional<std::uint64_t> const& length, error_code&) override
    {
        if (length) // already checked against body_limit by basic_parser
            s_.body.reserve(static_cast<std::size_t>(*length));
    }
    std::size_t on_body_impl(string_view body, error_code&) override
    {
        s_.body.append(body.data(), body.size());
        return body.size();
    }
    void on_chunk_header_impl(std::uint64_t, string_view, error_code&) override {}
    std::size_t on_chunk_body_impl(std::uint64_t, string_view body, error_code&) override
    {
        s_.body.append(body.data(), body.size());
        return body.size();
    }
    void on_finish_impl(error_code&) override {}

    request_storage& s_;
};

} // namespace mock
