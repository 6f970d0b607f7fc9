// Test support: a small HTTP/1.1 client for integration tests, with a hard timeout on every
// call. It keeps its own io_context, so tests stay plain sequential code.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace test_support {

using namespace std::chrono_literals;

struct http_reply
{
    unsigned status = 0;
    std::multimap<std::string, std::string> headers; // names lower-cased
    std::string body;
    bool keep_alive = false;

    // First value of a header (lower-case name), or "".
    std::string header(const std::string& name) const;
};

// One piece of a streamed body and when it arrived, relative to the moment the request was sent.
struct body_piece
{
    std::chrono::microseconds at;
    std::string bytes;
};

struct streamed_reply
{
    http_reply head;                        // status and headers; body holds the whole body
    std::chrono::microseconds headers_at{}; // when the headers arrived
    std::vector<body_piece> pieces;         // body as it arrived
    bool complete = false;                  // false when the connection ended before the body did
};

struct request_options
{
    std::string method = "GET";
    std::string target = "/";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
    std::chrono::milliseconds timeout = 5s;
    std::string host = "127.0.0.1";
};

// A keep-alive connection: several requests in a row on the same socket.
class http_connection
{
public:
    http_connection(std::uint16_t port, std::string host = "127.0.0.1");
    ~http_connection();
    http_connection(const http_connection&) = delete;
    http_connection& operator=(const http_connection&) = delete;

    // Throws std::runtime_error on a network error or a timeout.
    http_reply request(const request_options& opts);
    streamed_reply request_streamed(const request_options& opts);
    // Sends raw bytes and returns all that arrives until the peer closes or `timeout` passes.
    std::string raw_exchange(const std::string& bytes, std::chrono::milliseconds timeout = 2s);
    // True when the server has closed this connection (checked without blocking for long).
    bool closed_by_peer(std::chrono::milliseconds wait = 200ms);

private:
    struct impl;
    impl* impl_;
    std::uint16_t port_ = 0;
};

// Requests mock-llm listening on `mock_port` has answered, its own /stats excluded: the proof that
// a request did (or did not) reach the upstream.
std::uint64_t mock_requests_seen(std::uint16_t mock_port);

// One request on a fresh connection.
http_reply http_request(std::uint16_t port, const request_options& opts);
streamed_reply http_request_streamed(std::uint16_t port, const request_options& opts);
// Raw bytes on a fresh connection; returns everything received until close or timeout.
std::string raw_request(std::uint16_t port, const std::string& bytes, std::chrono::milliseconds timeout = 2s);

} // namespace test_support
