#include "proxy/send_now.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <sys/socket.h>
#include <sys/uio.h>

namespace proxy {
namespace {

// One non-blocking send call, repeated after EINTR: the bytes it sent, or 0 (with `ec` set unless
// the socket was only full).
template <typename SendCall>
std::size_t send_once(SendCall call, boost::system::error_code& ec)
{
    for (;;) {
        ssize_t n = call();
        if (n >= 0)
            return static_cast<std::size_t>(n);
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            ec.assign(errno, boost::system::system_category());
        return 0;
    }
}

} // namespace

std::size_t send_now(net::ip::tcp::socket& s, std::span<const net::const_buffer> bufs,
                     boost::system::error_code& ec)
{
    const int fd = s.native_handle();
    // Small pieces (the usual head and body) are copied into one buffer and sent with send():
    // sendmsg's message header and vector cost the kernel more than the copy costs here.
    std::size_t total = 0;
    for (const auto& b : bufs)
        total += b.size();
    if (bufs.size() > 1 && total <= 4096) {
        char flat[4096];
        std::size_t at = 0;
        for (const auto& b : bufs) {
            if (b.size() > 0)
                std::memcpy(flat + at, b.data(), b.size());
            at += b.size();
        }
        return send_once([&] { return ::send(fd, flat, total, MSG_DONTWAIT | MSG_NOSIGNAL); }, ec);
    }
    iovec iov[16];
    std::size_t count = std::min(bufs.size(), std::size(iov));
    for (std::size_t i = 0; i < count; ++i)
        iov[i] = iovec{const_cast<void*>(bufs[i].data()), bufs[i].size()};
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = count;
    return send_once([&] { return ::sendmsg(fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL); }, ec);
}

} // namespace proxy
