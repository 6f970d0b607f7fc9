// HTTP/1.1 message heads and body framing, sans-I/O and without Beast: the proxy's hot path.
//
// A head is parsed in place: every name and value is a view into the raw head bytes, which the
// caller keeps unchanged until it has written the head it forwards. The proxy never needs a
// header map: it walks the fields once to check them and once to write the outgoing head, so a
// flat vector (reused from request to request) replaces Beast's allocating basic_fields; and the
// fields the proxy acts on are classified once into `field_id`. Measured with callgrind, this and
// the framing below replaced about half of the proxy's instructions per request
// (docs/BENCHMARKS.md, "## proxy").
#pragma once

#include "common/http_headers.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace proxy::http1 {

// The fields the proxy acts on; everything else is `other` and forwarded as is.
enum class field_id : std::uint8_t
{
    other,
    host,
    content_length,
    transfer_encoding,
    connection,
    keep_alive,
    proxy_connection,
    proxy_authenticate,
    proxy_authorization,
    te,
    trailer,
    upgrade,
    expect,
    authorization,
    forwarded,
    x_forwarded_for,
    x_forwarded_proto,
    x_forwarded_other, // any other X-Forwarded-*
    x_request_id,
    server_timing,
    count_ // number of ids
};

// Index of the first byte at or after `from` that may not appear in a head line's text: a control
// byte other than HTAB (CR and LF included, so this also finds line ends) or DEL; npos if none.
// Sixteen bytes at a time (SSE2), then eight: heads are scanned on every request, and a byte
// loop was the largest single cost of parsing in callgrind.
std::size_t find_control(std::string_view s, std::size_t from = 0);

// Index just past the blank line ending a head ("\r\n\r\n", or a bare "\n\n" which the guard then
// rejects), or npos: where the head reader cuts a head from what follows it.
std::size_t find_head_end(std::string_view s, std::size_t from = 0);

// Case-insensitive classification of a header name.
field_id classify(std::string_view name);

// Connection, Keep-Alive, Proxy-Connection, Proxy-Authenticate, Proxy-Authorization, TE,
// Trailer, Upgrade (RFC 9110 7.6.1; Transfer-Encoding is framing, handled by the caller).
bool hop_by_hop(field_id id);

struct field
{
    std::string_view name;
    std::string_view value; // without surrounding whitespace
    field_id id;
    // The line is exactly "name: value" followed by CRLF, so a kept field can be copied from
    // the raw head as it is, together with its kept neighbours (line()).
    bool canonical = false;
    // The raw line with its CRLF; only for a canonical field.
    std::string_view line() const { return {name.data(), name.size() + 2 + value.size() + 2}; }
};

// Fields shared by request and response heads.
struct head_fields
{
    static constexpr std::size_t ids = static_cast<std::size_t>(field_id::count_);

    std::vector<field> fields;                 // in order; capacity is kept between messages
    std::vector<std::string_view> conn_tokens; // names listed by Connection / Proxy-Connection
    std::array<std::uint32_t, ids> id_count{}; // fields per id: count() and find() in O(1)
    std::array<std::uint32_t, ids> id_first{}; // index of the first field of each id

    std::size_t raw_size = 0;     // bytes of the raw head the views point into
    int version = 11;             // 10 or 11
    bool conn_close = false;      // Connection: close
    bool conn_keep_alive = false; // Connection: keep-alive
    bool bad_connection = false;  // a Connection element that is not a token (malformed head)

    void clear()
    {
        fields.clear();
        conn_tokens.clear();
        id_count.fill(0);
        version = 11;
        conn_close = conn_keep_alive = bad_connection = false;
    }
    // Named by a Connection (or Proxy-Connection) header: hop-by-hop for this message only.
    bool named_by_connection(std::string_view name) const;
    // HTTP/1.1 without "close", or HTTP/1.0 with "keep-alive".
    bool keep_alive() const { return version == 11 ? !conn_close : conn_keep_alive; }
    std::size_t count(field_id id) const { return id_count[static_cast<std::size_t>(id)]; }
    const field* find(field_id id) const
    {
        auto i = static_cast<std::size_t>(id);
        return id_count[i] ? &fields[id_first[i]] : nullptr;
    }
};

struct request_head : head_fields
{
    std::string_view method;
    std::string_view target;
    std::string_view version_text; // "HTTP/1.1" as sent
    // The request-line check found no byte in the target that its path checks look at
    // (request_guard.cpp, plain_target): they can be skipped.
    bool target_plain = false;

    void clear()
    {
        head_fields::clear();
        method = target = version_text = {};
        target_plain = false;
    }
};

struct response_head : head_fields
{
    unsigned status = 0;
    std::string_view reason;

    void clear()
    {
        head_fields::clear();
        status = 0;
        reason = {};
    }
};

// Adds one "name: value" line (already checked, and followed by CRLF in the raw head; `colon` is
// the index of its first ':') to `h`: the value trimmed, the name classified, Connection tokens
// recorded.
void add_field_line(head_fields& h, std::string_view line, std::size_t colon);

// Parses an upstream response head; false for anything the proxy will not relay (502): a bad
// status line (a status code outside 100-599 included), an HTTP version other than 1.0/1.1, control bytes,
// bare CR, bare LF line ends, obs-fold, invalid names, a Connection element that is not a token, more than
// `max_fields` fields.
bool parse_response(std::string_view raw, response_head& out, std::size_t max_fields = 256);

// How a message body is delimited (RFC 9112 section 6).
struct framing
{
    enum kind_t : std::uint8_t
    {
        none,           // no body
        content_length, // Content-Length bytes
        chunked,        // chunked transfer coding
        until_close,    // a response read until the upstream closes
    } kind = none;
    std::uint64_t length = 0; // for `length`
};

// The framing of an upstream response, or nothing when it is ambiguous or malformed (502):
// differing or malformed Content-Length values, Content-Length with Transfer-Encoding, chunked
// applied twice, a malformed coding (common::transfer_coding_name). Codings ending in one other
// than chunked are read until the upstream closes. `request_was_head`: the response to a HEAD
// request has no body whatever it declares.
std::optional<framing> response_framing(const response_head& h, bool request_was_head);

// Decodes a chunked body: data bytes are copied out, chunk-size lines, extensions, the last
// chunk and trailers are consumed (trailers are dropped). Bounded: an extension longer than
// `max_extension` bytes, a chunk-size over 2^60 or a trailer section over `max_trailer` bytes is
// an error, so a peer cannot make the proxy buffer without end.
class chunked_decoder
{
public:
    enum class error : std::uint8_t
    {
        none,
        bad_size, // not a hex chunk size, or too large
        extension_too_long,
        bad_extension, // a chunk extension outside RFC 9112 7.1.1's grammar
        bad_line_end,  // missing CRLF after a size line or after chunk data
        trailer_too_long,
        bad_trailer, // a trailer line with control bytes or without a colon
    };

    explicit chunked_decoder(std::size_t max_extension = 1024, std::size_t max_trailer = 16 * 1024)
        : max_ext_(max_extension), max_trailer_(max_trailer)
    {}

    struct result
    {
        std::size_t consumed; // input bytes used
        std::size_t produced; // data bytes written to out
    };
    // Consumes input until `out` is full, the input is used up, the body ends or an error.
    result decode(const char* in, std::size_t n, char* out, std::size_t cap);

    bool done() const { return state_ == state::done; }
    error failure() const { return error_; }
    std::uint64_t data_bytes() const { return total_; }

private:
    enum class state : std::uint8_t
    {
        size,         // hex digits of a chunk size
        extension,    // ";..." up to CR
        size_lf,      // LF after the size line
        data,         // chunk data
        data_cr,      // CR after chunk data
        data_lf,      // LF after chunk data
        trailer_line, // a trailer line (or the final empty line)
        trailer_lf,   // LF ending a trailer line
        done,
        failed,
    };
    bool fail(error e)
    {
        error_ = e;
        state_ = state::failed;
        return false;
    }

    std::size_t max_ext_;
    std::size_t max_trailer_;
    state state_ = state::size;
    error error_ = error::none;
    std::uint64_t chunk_left_ = 0;
    std::uint64_t total_ = 0;
    std::size_t digits_ = 0;
    std::size_t ext_len_ = 0;
    common::parameter_scanner ext_; // the current size line's extensions

    std::size_t trailer_bytes_ = 0;
    std::size_t line_len_ = 0; // bytes of the current trailer line
    bool line_colon_ = false;
};

} // namespace proxy::http1
