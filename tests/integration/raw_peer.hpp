// Raw TCP peers for the proxy's hardening tests, on plain POSIX sockets with a bounded wait on
// every call: a client that sends exact bytes (slowly if asked) and reads what comes back, and a
// fake upstream on port 0 that answers with exact (malformed) bytes and records what it received.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace raw_peer {

using namespace std::chrono_literals;

// An HTTP/1.1 response as it arrived on the wire.
struct response
{
    unsigned status = 0;                             // 0 when no status line arrived
    std::multimap<std::string, std::string> headers; // lower-case names
    std::string head;                                // raw head bytes
    std::string body;                                // decoded body (chunked framing removed)
    bool complete = false;                           // the body's framing ended cleanly
    std::string header(const std::string& name) const;
};

// Parses `raw`, which may hold an incomplete response.
response parse_response(const std::string& raw);

class client
{
public:
    explicit client(std::uint16_t port, int rcvbuf = 0); // rcvbuf > 0: SO_RCVBUF before connect
    ~client();
    client(const client&) = delete;
    client& operator=(const client&) = delete;

    bool send(std::string_view bytes); // false when the peer closed or reset
    // Reads until `done(received)` holds, the peer closes, or `timeout` passes.
    std::string read(std::chrono::milliseconds timeout,
                     const std::function<bool(const std::string&)>& done = {});
    // Reads one response (head and framed body), stopping early at close or timeout.
    response read_response(std::chrono::milliseconds timeout = 2s);
    // True when the peer has closed (EOF or reset) within `wait`; data still pending is drained.
    bool closed(std::chrono::milliseconds wait = 1s);
    // Reads at most `max` bytes if some arrive within `wait`; returns how many.
    std::size_t read_some(std::size_t max, std::chrono::milliseconds wait);

private:
    int fd_ = -1;
};

// Sends `bytes` on a fresh connection and reads one response.
response exchange(std::uint16_t port, const std::string& bytes, std::chrono::milliseconds timeout = 2s);

// A fake upstream: for every request it reads the head (and a Content-Length or chunked body),
// records the raw bytes, and writes what `reply(target)` returns, then closes the connection.
class fake_upstream
{
public:
    using reply_fn = std::function<std::string(const std::string& target)>;
    explicit fake_upstream(reply_fn reply);
    ~fake_upstream();
    fake_upstream(const fake_upstream&) = delete;
    fake_upstream& operator=(const fake_upstream&) = delete;

    std::uint16_t port() const { return port_; }
    std::vector<std::string> requests(); // raw bytes of every request received
    int connections() const { return connections_.load(); }

private:
    void serve(int fd);

    int listen_fd_ = -1;
    std::uint16_t port_ = 0;
    reply_fn reply_;
    std::atomic<bool> stop_{false};
    std::atomic<int> connections_{0};
    std::mutex mutex_;
    std::vector<std::string> requests_;
    std::vector<std::thread> threads_;
    std::thread acceptor_;
};

} // namespace raw_peer
