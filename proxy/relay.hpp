// The upstream half of a request: take a pooled connection, send the request (head and body
// pieces), read the response head and relay the body piece by piece to the client. Shared
// types of a request in flight live here too.
#pragma once

#include "common/net.hpp"
#include "proxy/errors.hpp"
#include "proxy/request_guard.hpp"

#include <algorithm>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>

namespace proxy {

struct worker_context;
class upstream_connection;

using request_parser = http::request_parser<http::buffer_body>;

// Watches the client socket while the upstream works: a client that closes makes the proxy
// close the upstream connection at once (an abandoned generation costs money).
struct client_watch
{
    upstream_connection* upstream = nullptr; // closed when the client goes away
    bool fired = false;
    bool armed = false;
    unsigned generation = 0;
};

// One request in flight on a client connection (reset for each request).
struct request_state
{
    static constexpr std::size_t piece_bytes = 64 * 1024; // body relay buffer, both directions

    request_state(worker_context& wc, std::size_t p, beast::tcp_stream& c, beast::flat_buffer& b)
        : w(wc), provider(p), client(c), client_buf(b)
    {}

    worker_context& w;
    std::size_t provider;
    beast::tcp_stream& client;
    beast::flat_buffer& client_buf;

    std::chrono::steady_clock::time_point t0{};
    std::chrono::steady_clock::time_point body_start{};
    std::chrono::steady_clock::duration upstream_wait{}; // excluded from Server-Timing
    std::uint64_t body_received = 0;
    std::string request_id, method, target;
    std::string head; // serialised head being sent (reused: keeps its capacity)
    bool client_keep_alive = false;
    bool is_head = false;
    char* piece = nullptr;
    std::size_t piece_cap = piece_bytes;
    std::unique_ptr<char[]> piece_storage;
    std::size_t storage_cap = 0;
    std::shared_ptr<client_watch> watch = std::make_shared<client_watch>();

    void reset()
    {
        t0 = std::chrono::steady_clock::now();
        upstream_wait = {};
        body_received = 0;
        request_id.clear();
        method.clear();
        target.clear();
        client_keep_alive = false;
        is_head = false;
    }
    // A relay buffer sized for the body when its length is known (most bodies are small), else
    // piece_bytes; kept for the rest of the request.
    void ensure_piece(boost::optional<std::uint64_t> length = boost::none)
    {
        std::size_t want = length
                               ? static_cast<std::size_t>(std::clamp<std::uint64_t>(*length, 1, piece_bytes))
                               : piece_bytes;
        if (!piece_storage || storage_cap < want) {
            piece_storage.reset(new char[want]);
            storage_cap = want;
        }
        piece = piece_storage.get();
        piece_cap = want;
    }
    void release_piece()
    {
        piece_storage.reset();
        piece = nullptr;
        storage_cap = 0;
    }
};

using body_reader = std::function<common::task<std::optional<rejection>>(std::size_t& filled)>;

// Sends the request (its head rewritten, `first_len` body bytes in rs.piece, `more_body` reads
// the rest) and relays the response. Returns true when the client connection stays open.
common::task<bool> forward(request_state& rs, request_parser& parser, std::size_t first_len,
                           body_reader more_body);

// An OpenAI-shaped error reply with Connection: close; returns false (the connection ends).
common::task<bool> send_error(request_state& rs, unsigned status, std::string_view message,
                              std::string_view code);
common::task<bool> send_error(request_state& rs, proxy_errc e);

// Metrics and the optional access log line for a finished request.
void record(request_state& rs, unsigned status);

} // namespace proxy
