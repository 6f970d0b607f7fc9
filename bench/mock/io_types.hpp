// I/O types of mock-llm, bound to the concrete io_context executor instead of the type-erased
// any_io_executor: each worker runs one io_context on one thread, and the erased executor cost
// ~10% of the instructions of a small request (executor copies in every co_await).
#pragma once

#include "common/net.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/basic_socket_acceptor.hpp>
#include <boost/asio/basic_stream_socket.hpp>
#include <boost/asio/basic_waitable_timer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>

namespace mock {

using executor = net::io_context::executor_type;
using socket_t = net::basic_stream_socket<net::ip::tcp, executor>;
using acceptor_t = net::basic_socket_acceptor<net::ip::tcp, executor>;
using timer_t = net::basic_waitable_timer<std::chrono::steady_clock,
                                          net::wait_traits<std::chrono::steady_clock>, executor>;
template <typename T = void>
using task = net::awaitable<T, executor>;

// The project's no-throw token (common::use_nothrow), for this executor.
inline constexpr auto use_nothrow = net::as_tuple(net::use_awaitable_t<executor>{});

} // namespace mock
