// A minimal HTTP/1.x response parser for bench's client (sans-I/O): the status line, the headers
// bench needs (Content-Length, Transfer-Encoding, Connection, Server-Timing) and the body framing
// (Content-Length, chunked with extensions and trailers, or until the connection closes). It hands
// body bytes back as views into the caller's buffer (nothing is copied) and skips interim 1xx
// responses. Much cheaper per response than Beast's general parser, which also builds a header
// container bench never reads. Strict where it matters for trusting a count: a malformed status
// line, header, chunk size or conflicting Content-Length is an error, never a guess.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace loadgen {

class response_parser
{
public:
    static constexpr std::size_t max_head = 64 * 1024; // status line + headers
    static constexpr std::size_t max_line = 4 * 1024;  // chunk-size and trailer lines

    // Consumes a prefix of `in` and returns its length. When body bytes are among them, `body`
    // views them (inside `in`); at most one body piece per call. Returns 0 (and consumes nothing)
    // when more bytes are needed to make progress: an incomplete head or chunk-size line stays in
    // the caller's buffer, to be offered again with more appended.
    std::size_t put(std::string_view in, std::string_view& body);
    // The connection ended: completes a body delimited by the end of the connection.
    // Returns whether the response is now complete.
    bool put_eof();
    void reset() { *this = response_parser{}; }

    bool header_done() const { return header_done_; }
    bool done() const { return state_ == state::done; }
    bool failed() const { return state_ == state::error; }
    unsigned status() const { return status_; }
    // The connection may carry the next request (false for a close-delimited body, "close", or
    // HTTP/1.0 without "keep-alive").
    bool keep_alive() const { return keep_alive_; }
    bool need_eof() const { return state_ == state::until_eof; }
    double server_timing_ms() const { return server_timing_ms_; }

private:
    enum class state : std::uint8_t
    {
        head,
        length,
        chunk_size,
        chunk_data,
        chunk_crlf,
        trailers,
        until_eof,
        done,
        error
    };

    enum class head_result
    {
        done,
        more,
        error
    };
    // Parses the head at the start of `in`; on done, `used` is its length and the body state is set.
    head_result parse_head(std::string_view in, std::size_t& used);

    state state_ = state::head;
    bool header_done_ = false;
    bool keep_alive_ = true;
    unsigned status_ = 0;
    std::uint64_t remaining_ = 0; // of the body (length) or of the current chunk
    double server_timing_ms_ = -1;
};

} // namespace loadgen
