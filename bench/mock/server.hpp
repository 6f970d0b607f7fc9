// mock-llm server: N worker threads, each with its own io_context and its own SO_REUSEPORT
// acceptor on the shared port (the kernel spreads connections), plus optional TLS.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace mock {

struct config;

class server
{
public:
    // Binds every worker's acceptor; throws std::runtime_error when it cannot (port in use,
    // bad address, unreadable TLS files).
    explicit server(const config& c);
    ~server();
    server(const server&) = delete;
    server& operator=(const server&) = delete;

    std::string address() const; // bound address, for the listening line
    std::uint16_t port() const;  // bound port (the real one when --port 0)

    void start(); // one thread per worker
    void stop();  // thread-safe; makes join() return soon
    void join();

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

} // namespace mock
