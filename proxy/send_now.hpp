// Writes without suspending when the socket can take the bytes at once, which is nearly always
// on the relay's hot path: a response head with its body, or a request head with its prompt, fits
// in the socket's send buffer. An Asio write that completes at once still allocates an operation,
// goes through the scheduler's queue and resumes the coroutine from it (measured in
// docs/BENCHMARKS.md, "## proxy"); one non-blocking send costs only the system call. What
// the socket does not take goes through the usual asynchronous write, under its deadline.
#pragma once

#include "common/net.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>
#include <cstddef>
#include <span>

namespace proxy {

// One non-blocking send (MSG_DONTWAIT | MSG_NOSIGNAL) of up to 16 buffers: copied into one
// buffer and sent with send() when they hold 4 KiB or less, else a gather sendmsg(). Returns the
// bytes the kernel took, 0 when its send buffer is full; a failure other than "would block" (a
// reset, a closed peer) is set in `ec`, as the asynchronous write would have reported it.
std::size_t send_now(net::ip::tcp::socket& s, std::span<const net::const_buffer> bufs,
                     boost::system::error_code& ec);

// Any other stream (TLS, the component tests' in-memory streams): nothing is sent here, and the
// asynchronous write sends it all.
template <typename Stream>
std::size_t send_now(Stream&, std::span<const net::const_buffer>, boost::system::error_code&)
{
    return 0;
}

} // namespace proxy
