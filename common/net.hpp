// Namespace aliases and the no-throw completion token, in one place for the whole project.
//
// Boost 1.81 has no default completion token, so every peer I/O call passes `use_nothrow`
// and receives (error_code, result...) as a tuple: network errors are values, not exceptions.
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace net = boost::asio;
namespace boost::beast::http {}
namespace beast = boost::beast;
namespace http = boost::beast::http;

namespace common {

// Completion token for coroutines: `auto [ec, n] = co_await s.async_read_some(buf, use_nothrow);`
inline constexpr auto use_nothrow = net::as_tuple(net::use_awaitable);

template <typename T = void>
using task = net::awaitable<T>;

} // namespace common
