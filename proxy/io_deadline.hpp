// A socket's deadline, armed lazily: setting it costs a clock read and a compare, not a timer
// operation. One steady_timer per connection fires at the earliest deadline ever set; when it
// fires before the current deadline (which has moved on since), it re-arms itself for that one.
// In steady keep-alive traffic every new deadline lies after the armed one, so the timer is not
// touched per request: per-operation timers (beast::tcp_stream, one arm and one cancel per read
// or write) were the largest cost after parsing in the proxy's profile.
//
// On expiry the socket's pending operations are cancelled, not the socket closed, so that the
// proxy can still answer 408 on it; they complete with operation_aborted and the caller asks
// fired() to tell a timeout from other errors. Single-threaded: the worker's thread only.
#pragma once

#include "common/net.hpp"

#include <algorithm>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>

namespace proxy {

class io_deadline
{
public:
    using clock = std::chrono::steady_clock;

    explicit io_deadline(net::ip::tcp::socket& s)
        : timer_(s.get_executor()), state_(std::make_shared<state>())
    {
        state_->socket = &s;
    }
    ~io_deadline() { state_->socket = nullptr; } // a late handler finds nothing to cancel
    io_deadline(const io_deadline&) = delete;
    io_deadline& operator=(const io_deadline&) = delete;

    void expires_at(clock::time_point at)
    {
        at = std::min(at, cap_);
        state_->deadline = at;
        state_->fired = false;
        if (!state_->waiting || at < state_->armed)
            arm(at);
    }
    void expires_after(clock::duration d) { expires_at(clock::now() + d); }
    void expires_never()
    {
        if (cap_ != clock::time_point::max()) {
            expires_at(cap_);
            return;
        }
        state_->deadline = clock::time_point::max();
        state_->fired = false;
    }
    bool fired() const { return state_->fired; }

    // A limit on every deadline set from now on: the request's own (--request-timeout) while a
    // request runs on the socket. A later deadline is shortened to it; uncap() lifts it.
    void cap_at(clock::time_point limit) { cap_ = limit; }
    void uncap() { cap_ = clock::time_point::max(); }

private:
    struct state
    {
        net::ip::tcp::socket* socket = nullptr;
        clock::time_point deadline = clock::time_point::max();
        clock::time_point armed{};
        std::uint64_t generation = 0;
        bool waiting = false;
        bool fired = false;
    };

    void arm(clock::time_point at)
    {
        timer_.expires_at(at); // a pending wait completes with operation_aborted: ignored below
        auto st = state_;
        st->armed = at;
        st->waiting = true;
        auto gen = ++st->generation;
        timer_.async_wait([this, st, gen](const boost::system::error_code& ec) {
            if (ec || st->generation != gen || !st->socket)
                return; // re-armed, or the owner is gone (`this` is not touched then)
            st->waiting = false;
            if (st->deadline == clock::time_point::max())
                return;
            if (clock::now() < st->deadline) {
                arm(st->deadline); // the deadline moved on since this wait was armed
                return;
            }
            st->fired = true;
            boost::system::error_code ignored;
            st->socket->cancel(ignored);
        });
    }

    net::steady_timer timer_;
    std::shared_ptr<state> state_;
    clock::time_point cap_ = clock::time_point::max();
};

} // namespace proxy
