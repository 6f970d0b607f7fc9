// Request dispatch of mock-llm, without I/O: from a parsed request (method, target, headers,
// body) to an `action` for the session to carry out (write a prepared response, possibly after
// a delay; stream; send a blob; reset; hang; cut). Counts every request in the worker's stats.
#pragma once

#include "bench/mock/failure_plan.hpp"
#include "bench/mock/handlers.hpp"
#include "bench/mock/routes.hpp"

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mock {

struct worker;

struct request_view
{
    std::string_view method;
    std::string_view target;
    std::string_view body;
    const std::vector<std::pair<std::string_view, std::string_view>>& headers; // in arrival order
    bool keep_alive = true;
    bool http11 = true; // false for HTTP/1.0, which cannot be sent a chunked body
};

struct action
{
    enum class kind : std::uint8_t
    {
        respond, // write head + body (after `delay`)
        stream,  // SSE answer `a`: TTFT `delay`, `gap` between chunks, `fail` cut/malformed
        blob,    // `blob_bytes` deterministic bytes, chunked or not, `gap` between 16 KiB pieces
        reset,   // RST, no answer
        hang,    // no answer until the client closes
        cut,     // head + half of body, then close
    };
    kind what = kind::respond;
    bool keep_alive = true;
    std::chrono::nanoseconds delay{0};
    std::chrono::nanoseconds gap{0};
    failure_kind fail = failure_kind::none;
    answer a;
    std::uint64_t blob_bytes = 0;
    bool blob_chunked = false;
    bool http11 = true; // a body of unknown length is chunked; for HTTP/1.0 it ends at the close
};

// Per-connection output buffers, reused from one request to the next.
struct response_buffers
{
    std::string head; // status line and headers
    std::string body;
    std::string id; // answer id, referenced by action::a
};

action dispatch(worker& w, const request_view& req, response_buffers& out);

// Fills out.head and out.body with a complete response; counts it.
void prepare_response(worker& w, response_buffers& out, route r, unsigned status, std::string_view body,
                      bool keep_alive, std::string_view type = "application/json",
                      std::string_view extra = {});

// `length` of put_head for a body of unknown length: chunked (HTTP/1.1), or ended by the close
// (HTTP/1.0 clients, which cannot be sent Transfer-Encoding, RFC 9112 6.1).
inline constexpr std::int64_t chunked_length = -1;
inline constexpr std::int64_t close_delimited = -2;
inline std::int64_t unknown_length(bool http11)
{
    return http11 ? chunked_length : close_delimited;
}

// Status line and headers into `out` (cleared first); `length` is a Content-Length, or one of the
// two above.
void put_head(std::string& out, unsigned status, std::string_view type, std::int64_t length, bool keep_alive,
              std::string_view extra = {});
// Appends `data` as one HTTP chunk.
void put_chunk(std::string& out, std::string_view data);

} // namespace mock
