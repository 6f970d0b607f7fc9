// Request hardening, sans I/O: the client session calls these on the raw head bytes and on the
// split head before any upstream contact; the chunked decoder (http1.hpp) bounds extensions. Each check
// closes a hole that Beast's parser leaves open (see docs/HARDENING.md) and returns a rejection ready to be
// rendered as an OpenAI-shaped error (common::openai_error_body(status, message, code)). Messages never quote
// header values (they may hold keys).
#pragma once

#include "proxy/http1.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

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
// The same, keeping the head it split on the way (views into `head_bytes`) in `out`.
std::optional<rejection> scan_raw_head(std::string_view head_bytes, const guard_limits&,
                                       http1::request_head& out);

// The split head (scan_raw_head's `out`): TE/CL rules (both -> 400, TE other than exactly
// "chunked" -> 400, differing/malformed CL), a Connection value that is not a token list, Host
// missing/duplicate, absolute-form or '*' targets, CONNECT (405), dot-segments (also
// percent-encoded %2e), HTTP version (505), declared body over the limit (413).
std::optional<rejection> check_request_head(const http1::request_head& head, const guard_limits&);

// The whole check of a raw request head: scan_raw_head into `out`, then
// check_request_head. On success `out` holds views into `head_bytes`.
std::optional<rejection> check_request(std::string_view head_bytes, const guard_limits&,
                                       http1::request_head& out);

// The body framing of a request check_request_head accepted: chunked, a length, or none.
http1::framing request_framing(const http1::request_head& head);

// An error of the chunked body decoder as the client's reply (400).
rejection chunked_rejection(http1::chunked_decoder::error e, const guard_limits&);

} // namespace proxy
