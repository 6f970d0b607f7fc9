// Serialises a request or response head into a string and frames body pieces (chunked or not),
// sans-I/O. The relay writes head + piece with one gather write: much cheaper than Beast's
// generic serializer on the hot path (measured with callgrind, docs/BENCHMARKS.md "## proxy").
#pragma once

#include <algorithm>
#include <array>
#include <boost/asio/buffer.hpp>
#include <boost/beast/http/message.hpp>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace proxy {

namespace detail {
template <typename Fields>
void append_fields(std::string& out, const Fields& f)
{
    for (const auto& field : f) {
        auto n = field.name_string();
        auto v = field.value();
        out.append(n.data(), n.size());
        out += ": ";
        out.append(v.data(), v.size());
        out += "\r\n";
    }
    out += "\r\n";
}
} // namespace detail

// "METHOD target HTTP/1.1\r\n" fields "\r\n"
inline void serialize_head(std::string& out, const boost::beast::http::request_header<>& h)
{
    out.clear();
    auto m = h.method_string();
    auto t = h.target();
    out.append(m.data(), m.size());
    out += ' ';
    out.append(t.data(), t.size());
    out += " HTTP/1.1\r\n";
    detail::append_fields(out, h);
}

// "HTTP/1.1 status reason\r\n" fields "\r\n"
inline void serialize_head(std::string& out, const boost::beast::http::response_header<>& h)
{
    out.clear();
    out += "HTTP/1.1 ";
    out += std::to_string(h.result_int());
    out += ' ';
    auto r = h.reason();
    out.append(r.data(), r.size());
    out += "\r\n";
    detail::append_fields(out, h);
}

// Chunk-size line for a piece of `n` bytes: "<hex>\r\n"; returns its length in `buf`.
inline std::size_t chunk_size_line(char (&buf)[20], std::size_t n)
{
    static constexpr char hex[] = "0123456789abcdef";
    char tmp[16];
    std::size_t len = 0;
    do {
        tmp[len++] = hex[n & 15];
        n >>= 4;
    } while (n);
    for (std::size_t i = 0; i < len; ++i)
        buf[i] = tmp[len - 1 - i];
    buf[len] = '\r';
    buf[len + 1] = '\n';
    return len + 2;
}

// The bytes to send for one body piece, possibly preceded by a head and followed by the end of
// a chunked body. Empty pieces of a chunked body are skipped (a zero-size chunk would end it).
struct framed_piece
{
    std::array<boost::asio::const_buffer, 5> bufs;
    std::size_t count = 0;
    char size_line[20];

    framed_piece() = default;
    framed_piece(std::string_view head, const char* data, std::size_t n, bool chunked, bool last)
    {
        assign(head, data, n, chunked, last);
    }
    framed_piece(const framed_piece&) = delete;

    // Reuse in a loop: a coroutine keeps one piece in its frame instead of one per write site
    // (GCC gives every local its own frame slot, and frames over 1 KiB miss Asio's recycling).
    void assign(std::string_view head, const char* data, std::size_t n, bool chunked, bool last)
    {
        count = 0;
        if (!head.empty())
            bufs[count++] = boost::asio::buffer(head.data(), head.size());
        if (n > 0 && chunked)
            bufs[count++] = boost::asio::buffer(size_line, chunk_size_line(size_line, n));
        if (n > 0)
            bufs[count++] = boost::asio::buffer(data, n);
        if (n > 0 && chunked)
            bufs[count++] = boost::asio::buffer("\r\n", 2);
        if (last && chunked)
            bufs[count++] = boost::asio::buffer("0\r\n\r\n", 5);
    }
    std::span<const boost::asio::const_buffer> buffers() const { return {bufs.data(), count}; }

    // Drops the first `n` bytes (already written), keeping the rest in order.
    void consume(std::size_t n)
    {
        std::size_t first = 0;
        while (first < count && n >= bufs[first].size())
            n -= bufs[first++].size();
        if (first < count)
            bufs[first] += n;
        std::copy(bufs.begin() + first, bufs.begin() + count, bufs.begin());
        count -= first;
    }
};

} // namespace proxy
