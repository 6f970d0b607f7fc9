// Request hardening, sans I/O: the client session calls these on the raw head bytes, on the head
// as Beast parsed it and on every chunk extension, before any upstream contact. Each check closes
// a hole that Beast's parser leaves open (see docs/HARDENING.md) and returns a rejection ready to
// be rendered as an OpenAI-shaped error (common::openai_error_body(status, message, code)).
// Messages never quote header values (they may hold keys).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

// Forward declarations (Beast 1.81 has no *_fwd.hpp): keeps this header free of Beast.
namespace boost::beast::http {
template <class Allocator>
class basic_fields;
using fields = basic_fields<std::allocator<char>>;
template <bool isRequest, class Fields>
class header;
} // namespace boost::beast::http

namespace proxy {

struct guard_limits
{
    std::size_t max_header_bytes = 16 * 1024;   // whole head, request line included (bytes) -> 431
    std::size_t max_header_count = 100;         // header fields -> 431
    std::size_t max_url_bytes = 8 * 1024;       // request target (bytes) -> 414
    std::uint64_t max_body_bytes = 64ull << 20; // declared or streamed body (bytes) -> 413
    std::size_t max_chunk_ext_bytes = 1024;     // one chunk's extensions (bytes) -> 400
};

struct rejection
{
    unsigned status;     // HTTP status to answer with
    std::string message; // human-readable, safe to send (no header values)
    std::string code;    // OpenAI error `code`, e.g. "bad_request"
};

// Raw bytes of the request head, up to and including the blank line: obs-fold, bare CR/LF, NUL and
// control bytes, invalid header names, sizes and counts, URL length.
std::optional<rejection> scan_raw_head(std::string_view head_bytes, const guard_limits&);

// The head as Beast parsed it: TE/CL rules (both -> 400, TE other than exactly "chunked" -> 400,
// differing/malformed CL), Host missing/duplicate, absolute-form or '*' targets, CONNECT (405),
// dot-segments (also percent-encoded %2e), HTTP version (505), declared body over the limit (413).
std::optional<rejection>
check_request_head(const boost::beast::http::header<true, boost::beast::http::fields>& head,
                   const guard_limits&);

// For the parser's on_chunk_header callback: `ext` is the extension text Beast hands over.
std::optional<rejection> check_chunk_extension(std::string_view ext, const guard_limits&);

} // namespace proxy
