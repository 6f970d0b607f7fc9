// Raw TCP peers for the hardening tests (see raw_peer.hpp). Blocking sockets driven by poll()
// with deadlines, so no call can hang a test.
#include "tests/integration/raw_peer.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <cctype>
#include <cerrno>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdexcept>
#include <sys/socket.h>
#include <unistd.h>

namespace raw_peer {
namespace {

using clock = std::chrono::steady_clock;

int remaining_ms(clock::time_point deadline)
{
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now()).count();
    return left < 0 ? 0 : static_cast<int>(left);
}

bool wait_fd(int fd, short events, clock::time_point deadline)
{
    pollfd p{fd, events, 0};
    for (;;) {
        int r = ::poll(&p, 1, remaining_ms(deadline));
        if (r < 0 && errno == EINTR)
            continue;
        return r > 0;
    }
}

std::string lower(std::string s)
{
    for (auto& c : s)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

// Decodes a chunked body; `complete` when the last chunk and the trailer section arrived.
std::string dechunk(std::string_view s, bool& complete)
{
    std::string out;
    complete = false;
    std::size_t pos = 0;
    for (;;) {
        auto eol = s.find("\r\n", pos);
        if (eol == std::string_view::npos)
            return out;
        std::size_t size = 0;
        try {
            size = std::stoul(std::string(s.substr(pos, eol - pos)), nullptr, 16);
        } catch (const std::exception&) {
            return out;
        }
        pos = eol + 2;
        if (size == 0) {
            complete = s.find("\r\n\r\n", pos - 2) != std::string_view::npos;
            return out;
        }
        out.append(s.substr(pos, std::min(size, s.size() - std::min(pos, s.size()))));
        if (pos + size + 2 > s.size())
            return out;
        pos += size + 2;
    }
}

// True when `raw` holds a whole request (head, then Content-Length bytes or a chunked body).
bool request_complete(const std::string& raw)
{
    auto end = raw.find("\r\n\r\n");
    if (end == std::string::npos)
        return false;
    auto head = lower(raw.substr(0, end + 2));
    auto body = std::string_view(raw).substr(end + 4);
    if (head.find("transfer-encoding: chunked") != std::string::npos) {
        bool complete = false;
        dechunk(body, complete);
        return complete;
    }
    auto cl = head.find("content-length:");
    if (cl == std::string::npos)
        return true;
    return body.size() >= std::stoull(head.substr(cl + 15));
}

int connect_to(std::uint16_t port, int rcvbuf)
{
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        throw std::runtime_error("socket() failed");
    if (rcvbuf > 0)
        ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ::close(fd);
        throw std::runtime_error("connect to port " + std::to_string(port) + " failed");
    }
    return fd;
}

} // namespace

std::string response::header(const std::string& name) const
{
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
}

response parse_response(const std::string& raw)
{
    response r;
    auto end = raw.find("\r\n\r\n");
    if (raw.rfind("HTTP/1.", 0) != 0 || raw.size() < 12)
        return r;
    r.status = static_cast<unsigned>(std::atoi(raw.substr(9, 3).c_str()));
    if (end == std::string::npos)
        return r;
    r.head = raw.substr(0, end + 4);
    for (std::size_t pos = raw.find("\r\n") + 2; pos < end;) {
        auto eol = raw.find("\r\n", pos);
        auto line = raw.substr(pos, eol - pos);
        auto colon = line.find(':');
        if (colon != std::string::npos) {
            auto v = line.substr(colon + 1);
            v.erase(0, v.find_first_not_of(" \t"));
            r.headers.emplace(lower(line.substr(0, colon)), v);
        }
        pos = eol + 2;
    }
    auto body = raw.substr(end + 4);
    if (lower(r.header("transfer-encoding")) == "chunked") {
        r.body = dechunk(body, r.complete);
    } else if (!r.header("content-length").empty()) {
        auto n = std::stoull(r.header("content-length"));
        r.complete = body.size() >= n;
        r.body = body.substr(0, std::min<std::size_t>(n, body.size()));
    } else {
        r.body = body;
        r.complete = r.status / 100 == 1 || r.status == 204 || r.status == 304;
    }
    return r;
}

client::client(std::uint16_t port, int rcvbuf) : fd_(connect_to(port, rcvbuf)) {}

client::~client()
{
    if (fd_ >= 0)
        ::close(fd_);
}

bool client::send(std::string_view bytes)
{
    auto deadline = clock::now() + 2s;
    while (!bytes.empty()) {
        if (!wait_fd(fd_, POLLOUT, deadline))
            return false;
        auto n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

std::string client::read(std::chrono::milliseconds timeout,
                         const std::function<bool(const std::string&)>& done)
{
    std::string got;
    auto deadline = clock::now() + timeout;
    char buf[16384];
    while (!(done && done(got)) && wait_fd(fd_, POLLIN, deadline)) {
        auto n = ::recv(fd_, buf, sizeof buf, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got.append(buf, static_cast<std::size_t>(n));
    }
    return got;
}

response client::read_response(std::chrono::milliseconds timeout)
{
    auto raw = read(timeout, [](const std::string& s) {
        auto r = parse_response(s);
        return r.status != 0 && r.status / 100 != 1 && r.complete;
    });
    return parse_response(raw);
}

bool client::closed(std::chrono::milliseconds wait)
{
    auto deadline = clock::now() + wait;
    char buf[65536];
    while (wait_fd(fd_, POLLIN, deadline)) {
        auto n = ::recv(fd_, buf, sizeof buf, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return true;
    }
    return false;
}

std::size_t client::read_some(std::size_t max, std::chrono::milliseconds wait)
{
    std::string buf(max, '\0');
    if (!wait_fd(fd_, POLLIN, clock::now() + wait))
        return 0;
    auto n = ::recv(fd_, buf.data(), max, 0);
    return n > 0 ? static_cast<std::size_t>(n) : 0;
}

response exchange(std::uint16_t port, const std::string& bytes, std::chrono::milliseconds timeout)
{
    client c(port);
    c.send(bytes); // the proxy may answer and close before it has read everything
    return c.read_response(timeout);
}

fake_upstream::fake_upstream(reply_fn reply) : reply_(std::move(reply))
{
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (listen_fd_ < 0 || ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::listen(listen_fd_, 64) != 0 ||
        ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0)
        throw std::runtime_error("fake upstream: cannot listen");
    port_ = ntohs(a.sin_port);
    acceptor_ = std::thread([this] {
        while (!stop_) {
            if (!wait_fd(listen_fd_, POLLIN, clock::now() + 50ms))
                continue;
            int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
            if (fd < 0)
                continue;
            ++connections_;
            threads_.emplace_back([this, fd] { serve(fd); });
        }
    });
}

fake_upstream::~fake_upstream()
{
    stop_ = true;
    acceptor_.join();
    for (auto& t : threads_)
        t.join();
    ::close(listen_fd_);
}

std::vector<std::string> fake_upstream::requests()
{
    std::lock_guard lock(mutex_);
    return requests_;
}

void fake_upstream::serve(int fd)
{
    std::string raw;
    char buf[16384];
    // A request that never completes (e.g. trailers forwarded by mistake) is answered after 300 ms.
    auto deadline = clock::now() + 300ms;
    while (!request_complete(raw) && !stop_ && wait_fd(fd, POLLIN, deadline)) {
        auto n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0)
            break;
        raw.append(buf, static_cast<std::size_t>(n));
    }
    {
        std::lock_guard lock(mutex_);
        requests_.push_back(raw);
    }
    auto sp1 = raw.find(' ');
    auto sp2 = sp1 == std::string::npos ? sp1 : raw.find(' ', sp1 + 1);
    std::string target = sp2 == std::string::npos ? "" : raw.substr(sp1 + 1, sp2 - sp1 - 1);
    std::string out = reply_(target);
    std::string_view rest = out;
    auto send_deadline = clock::now() + 2s;
    while (!rest.empty() && !stop_ && wait_fd(fd, POLLOUT, send_deadline)) {
        auto n = ::send(fd, rest.data(), rest.size(), MSG_NOSIGNAL);
        if (n <= 0)
            break;
        rest.remove_prefix(static_cast<std::size_t>(n));
    }
    ::shutdown(fd, SHUT_WR);
    wait_fd(fd, POLLIN, clock::now() + 200ms); // let the proxy see the close before the reset
    ::close(fd);
}

} // namespace raw_peer
