// Request hardening checks, sans-I/O: the client session calls these on the raw head bytes,
// on the head as Beast parsed it and on every chunk extension, before any upstream contact.
#pragma once

#include <boost/beast/http/message.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace proxy {

struct guard_limits
{
    std::size_t max_header_bytes = 16 * 1024;   // whole head -> 431
    std::size_t max_header_count = 100;         // -> 431
    std::size_t max_url_bytes = 8 * 1024;       // -> 414
    std::uint64_t max_body_bytes = 64ull << 20; // -> 413
    std::size_t max_chunk_ext_bytes = 1024;     // -> 400
};

struct rejection
{
    unsigned status;
    std::string message;
    std::string code;
};

// Raw bytes of the request head, up to and including the blank line: obs-fold, bare CR/LF, NUL and
// control bytes, invalid header names, sizes and counts, URL length.
std::optional<rejection> scan_raw_head(std::string_view head_bytes, const guard_limits&);
// The head as Beast parsed it: TE/CL rules (both -> 400, TE other than exactly "chunked" -> 400,
// differing/malformed CL), Host missing/duplicate, absolute-form or '*' targets, CONNECT (405),
// dot-segments, HTTP version (505), declared body over the limit (413).
std::optional<rejection> check_request_head(const boost::beast::http::request_header<>& head, const guard_limits&);
// For the parser's on_chunk_header callback.
std::optional<rejection> check_chunk_extension(std::string_view ext, const guard_limits&);

} // namespace proxy
