// The upstream half of a request: take a pooled connection, send the request (head and body
// pieces), read the response head and relay the body piece by piece to the client. Shared
// types of a request in flight live here too.
#pragma once

#include "common/net.hpp"
#include "proxy/errors.hpp"
#include "proxy/http1.hpp"
#include "proxy/io_deadline.hpp"
#include "proxy/request_guard.hpp"
#include "proxy/session_task.hpp"

#include <algorithm>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <span>
#include <string>

namespace proxy {

struct worker_context;
struct config;
class upstream_connection;

// Watches the client socket while the upstream works: a client that closes makes the proxy
// close the upstream connection at once (an abandoned generation costs money).
struct client_watch
{
    upstream_connection* upstream = nullptr; // closed when the client goes away
    bool fired = false;
    bool armed = false;
    unsigned generation = 0;
};

// The parsed heads and the written heads of one request: needed only while a request is in
// flight, so they are lent by the worker (worker_context::scratch_pool) for the request and given
// back after it. Idle keep-alive connections then hold no head memory: with 1000 connections
// that was about 2.5 MB. Their capacities are kept in the pool, so nothing is allocated per request.
struct request_scratch
{
    http1::request_head req;  // views into client_buf until the head is sent
    http1::response_head res; // views into the upstream buffer
    std::string head;         // the request head sent upstream
    std::string res_head;     // the response head sent to the client
};

// One request in flight on a client connection (reset for each request).
struct request_state
{
    static constexpr std::size_t piece_bytes = 64 * 1024; // body relay buffer, both directions

    request_state(worker_context& wc, std::size_t p, net::ip::tcp::socket& c, io_deadline& d,
                  beast::flat_buffer& b)
        : w(wc), provider(p), client(c), client_deadline(d), client_buf(b)
    {}

    worker_context& w;
    std::size_t provider;
    net::ip::tcp::socket& client;
    io_deadline& client_deadline;
    beast::flat_buffer& client_buf;

    http1::framing req_framing; // the request body's
    std::optional<http1::chunked_decoder> req_chunked;
    std::uint64_t req_body_left = 0; // Content-Length bytes still to read
    bool req_body_done = true;

    std::chrono::steady_clock::time_point t0{}; // the head came whole: the request and its body budget start
    // The request's own deadline (--request-timeout), a cap on every deadline of the client
    // socket and of the upstream connection while the request runs; max when there is none.
    std::chrono::steady_clock::time_point due = std::chrono::steady_clock::time_point::max();
    std::chrono::steady_clock::duration upstream_wait{}; // excluded from Server-Timing
    bool in_upstream = false;                            // between upstream lease and response end
    std::chrono::steady_clock::time_point upstream_since{};
    std::uint64_t body_received = 0;
    std::string request_id;
    std::unique_ptr<request_scratch> s;       // lent for the request (acquire_scratch / release_scratch)
    std::string access_method, access_target; // kept for the access log only when it is on
    bool client_keep_alive = false;
    bool client_http11 = true; // an HTTP/1.0 client cannot read a chunked response
    bool is_head = false;
    char* piece = nullptr;
    std::size_t piece_cap = piece_bytes;
    std::unique_ptr<char[]> piece_storage;
    std::size_t storage_cap = 0;
    std::size_t held_for_retry = 0; // bytes of piece_storage taken from the worker's retry budget
    std::shared_ptr<client_watch> watch = std::make_shared<client_watch>();

    void reset(std::chrono::milliseconds request_timeout)
    {
        t0 = std::chrono::steady_clock::now();
        due =
            request_timeout.count() > 0 ? t0 + request_timeout : std::chrono::steady_clock::time_point::max();
        upstream_wait = {};
        body_received = 0;
        request_id.clear();
        req_chunked.reset();
        req_body_left = 0;
        req_body_done = true;
        client_keep_alive = false;
        client_http11 = true;
        is_head = false;
    }
    bool past_due() const { return std::chrono::steady_clock::now() >= due; }
    // A relay buffer sized for the body when its length is known (most bodies are small), else
    // piece_bytes; kept for the rest of the request.
    void ensure_piece(std::optional<std::uint64_t> length = std::nullopt)
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
    // Makes the piece hold a whole body of `length` bytes (over piece_bytes), so that the request
    // can be sent again: taken from the worker's budget (--retry-body-memory). False, with nothing
    // changed, when the body is over --retry-body-max or the budget is short.
    bool hold_whole_body(std::uint64_t length);
    // For a body of unknown length (chunked) that has filled the piece: doubles it, up to
    // --retry-body-max and within the budget, keeping the `filled` bytes. False, with nothing
    // changed, when it cannot grow: the body is then streamed.
    bool grow_held_body(std::size_t filled);
    // Makes the piece a held buffer of `size` bytes, its first `keep` bytes copied from the old
    // piece, with `from_budget` bytes taken from the worker's budget.
    void install_held(std::size_t size, std::size_t keep, std::uint64_t from_budget);
    // Frees the piece after a request and gives back what it took from the budget.
    void release_piece();
    // Once the body can no longer be sent again (its rest is streamed, or the response head has
    // come), a held buffer is freed and its bytes go back to the budget: a long generation
    // behind a large prompt must not keep them from other requests for minutes. The next
    // ensure_piece() makes an ordinary piece.
    void give_back_held()
    {
        if (held_for_retry > 0)
            release_piece();
    }
};

// Starts watching the client socket for a close while the upstream works (see client_watch). The
// worker's watch tick calls it for requests in their upstream phase for longer than a tick: most
// requests end sooner, and arming costs a syscall (epoll_ctl) per request.
void arm_client_watch(request_state& rs);

// Borrows the worker's request scratch for this request (idempotent), and gives it back.
void acquire_scratch(request_state& rs);
void release_scratch(request_state& rs);

// The guard's limits from the configuration.
guard_limits limits_of(const config& c);

// Moves request body bytes already in client_buf into piece[filled, cap) (no I/O, no coroutine:
// a usual prompt arrives with its head). Returns an error to answer with, or nothing.
std::optional<rejection> take_buffered_body(request_state& rs, std::size_t& filled);
// Reads request body bytes into piece[filled, cap) until it is full or the body is complete
// (rs.req_body_done). Returns an error to answer with (status 0: the client is gone), or nothing.
task<std::optional<rejection>> read_body_piece(request_state& rs, std::size_t& filled);

// Sends the request (its head already written into rs.s->head, `first_len` body bytes in rs.piece,
// the rest read with read_body_piece) and relays the response. Returns true when the client
// connection stays open.
task<bool> forward(request_state& rs, std::size_t first_len);

// An OpenAI-shaped error reply with Connection: close; returns false (the connection ends).
task<bool> send_error(request_state& rs, unsigned status, std::string_view message, std::string_view code);
task<bool> send_error(request_state& rs, proxy_errc e);

// Metrics and the optional access log line for a finished request.
// `end`: when the request ended (the caller's clock reading).
void record(request_state& rs, unsigned status, std::chrono::steady_clock::time_point end);

} // namespace proxy
