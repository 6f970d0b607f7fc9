// Integration test helpers for the proxy: start mock-llm and the proxy on port 0, a scripted raw
// upstream for misbehaviour mock-llm does not produce, and small utilities.
#pragma once

#include "tests/support/child_process.hpp"
#include "tests/support/http_client.hpp"

#include <arpa/inet.h>
#include <atomic>
#include <cstdint>
#include <functional>
#include <netinet/in.h>
#include <string>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace proxy_test {

using namespace std::chrono_literals;
using test_support::child_process;

struct mock
{
    child_process proc;
    std::uint16_t port;
    explicit mock(std::vector<std::string> args = {},
                  std::vector<std::pair<std::string, std::string>> env = {})
        : proc(start(std::move(args), std::move(env))), port(proc.wait_listening("mock"))
    {}
    static child_process start(std::vector<std::string> args,
                               std::vector<std::pair<std::string, std::string>> env)
    {
        args.insert(args.begin(), {"--port", "0", "--log-level", "error"});
        return child_process(test_support::program_path("mock-llm"), args, env);
    }
    std::string url(const std::string& base = "/v1") const
    {
        return "http://127.0.0.1:" + std::to_string(port) + base;
    }
};

struct proxy_proc
{
    child_process proc;
    std::uint16_t port; // the first provider's listener
    std::uint16_t admin;
    proxy_proc(const std::string& provider, const std::string& upstream, std::vector<std::string> args = {},
               std::vector<std::pair<std::string, std::string>> env = {})
        : proc(start(provider, upstream, std::move(args), std::move(env))),
          port(proc.wait_listening(provider)), admin(proc.wait_listening("admin"))
    {}
    static child_process start(const std::string& provider, const std::string& upstream,
                               std::vector<std::string> args,
                               std::vector<std::pair<std::string, std::string>> env)
    {
        std::vector<std::string> a = {"--provider",   provider,
                                      "--port",       provider + "=0",
                                      "--upstream",   provider + "=" + upstream,
                                      "--admin-port", "0",
                                      "--threads",    "1",
                                      "--log-level",  "error",
                                      "--env-file",   "/nonexistent"};
        a.insert(a.end(), args.begin(), args.end());
        env.emplace_back("PROXY_API_KEY", "");
        return child_process(test_support::program_path("proxy"), a, env);
    }
};

// A listening socket on 127.0.0.1 and a free port (backlog 16); sets `port`, returns the fd.
inline int listen_loopback(std::uint16_t& port)
{
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(fd, 16);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
    return fd;
}

// A one-thread TCP server whose per-connection behaviour is a function of (fd, connection index).
class raw_upstream
{
public:
    explicit raw_upstream(std::function<void(int fd, int index)> on_conn) : on_conn_(std::move(on_conn))
    {
        fd_ = listen_loopback(port);
        thread_ = std::thread([this] {
            for (int i = 0;; ++i) {
                int c = ::accept(fd_, nullptr, nullptr);
                if (c < 0 || stop_)
                    break;
                ++accepted;
                conns_.emplace_back([this, c, i] {
                    on_conn_(c, i);
                    ::close(c);
                });
            }
        });
    }
    ~raw_upstream()
    {
        stop_ = true;
        ::shutdown(fd_, SHUT_RDWR);
        ::close(fd_);
        thread_.join();
        for (auto& t : conns_)
            t.join();
    }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port) + "/v1"; }

    // Reads one request head and its body (a Content-Length one, or a chunked one up to its last
    // chunk, found by its bytes: test bodies do not contain them) from fd; "" when the peer closed.
    static std::string read_request(int fd)
    {
        std::string s;
        char buf[4096];
        for (;;) {
            auto end = s.find("\r\n\r\n");
            if (end != std::string::npos) {
                auto cl = s.find("Content-Length: ");
                auto te = s.find("Transfer-Encoding: chunked\r\n");
                std::size_t want = end + 4;
                if (cl != std::string::npos && cl < end)
                    want += std::stoul(s.substr(cl + 16));
                if (te != std::string::npos && te < end) {
                    // The head's own last CRLF precedes the last chunk of an empty body.
                    if (s.find("\r\n0\r\n\r\n", end + 2) != std::string::npos)
                        return s;
                } else if (s.size() >= want) {
                    return s;
                }
            }
            timeval tv{2, 0};
            ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
            auto n = ::recv(fd, buf, sizeof buf, 0);
            if (n <= 0)
                return {};
            s.append(buf, static_cast<std::size_t>(n));
        }
    }
    static void send_all(int fd, const std::string& s) { (void)::send(fd, s.data(), s.size(), MSG_NOSIGNAL); }

    std::uint16_t port = 0;
    std::atomic<int> accepted{0};

private:
    std::function<void(int, int)> on_conn_;
    int fd_ = -1;
    std::atomic<bool> stop_{false};
    std::thread thread_;
    std::vector<std::thread> conns_;
};

// Request bodies mock-llm accepts.
inline const std::string chat_body = R"({"model":"m","messages":[{"role":"user","content":"hi"}]})";
inline const std::string stream_body =
    R"({"model":"m","stream":true,"messages":[{"role":"user","content":"hi"}]})";

// A plain blocking client socket (for exchanges the test client does not model).
inline int connect_to(std::uint16_t port)
{
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ::close(fd);
        return -1;
    }
    timeval tv{2, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
}

inline std::string fnv1a64_hex(const std::string& s)
{
    std::uint64_t h = 0xcbf29ce484222325ull;
    for (unsigned char c : s) {
        h ^= c;
        h *= 0x100000001b3ull;
    }
    char out[17];
    std::snprintf(out, sizeof out, "%016llx", static_cast<unsigned long long>(h));
    return out;
}

// A port nobody listens on (bound then closed).
inline std::uint16_t closed_port()
{
    raw_upstream u([](int, int) {});
    return u.port;
}

} // namespace proxy_test
