// Reads an HTTP head (request or response) into a flat_buffer up to and including the blank
// line, so that the raw bytes can be checked before Beast parses them. Shared by the client
// side and the upstream side of a session.
#pragma once

#include "common/net.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string_view>
#include <type_traits>

namespace proxy {

enum class head_status
{
    ok,
    closed,
    timeout,
    too_large,
    error
};

struct head_result
{
    head_status status;
    std::size_t length = 0; // bytes of the head in the buffer (status ok)
    bool any_byte = false;  // some byte arrived (distinguishes an idle close from a cut head)
};

// Index just past the blank line ending the head ("\r\n\r\n", or a bare "\n\n" which the
// guard then rejects), or npos.
inline std::size_t find_head_end(std::string_view s, std::size_t from)
{
    for (std::size_t i = s.find('\n', from); i != std::string_view::npos; i = s.find('\n', i + 1)) {
        if (i + 1 < s.size() && s[i + 1] == '\n')
            return i + 2;
        if (i + 2 < s.size() && s[i + 1] == '\r' && s[i + 2] == '\n')
            return i + 3;
    }
    return std::string_view::npos;
}

// A read deadline that cancels -- does not close -- the socket's pending operations, so that the
// proxy can still answer 408 on it: beast::tcp_stream's own timeout closes the socket, and a reply
// written after it is lost. Lives on the stream's executor (the worker's thread); the handler
// ignores itself once the deadline is destroyed or re-armed.
class cancel_deadline
{
public:
    explicit cancel_deadline(beast::tcp_stream& s) : socket_(&s.socket()), timer_(s.get_executor())
    {
        s.expires_never();
    }
    ~cancel_deadline() { state_->generation = 0; }
    cancel_deadline(const cancel_deadline&) = delete;
    cancel_deadline& operator=(const cancel_deadline&) = delete;

    void expires_at(std::chrono::steady_clock::time_point at)
    {
        timer_.expires_at(at); // cancels the previous wait
        auto st = state_;
        auto gen = ++st->generation;
        auto* sock = socket_;
        timer_.async_wait([st, gen, sock](const boost::system::error_code& ec) {
            if (ec || st->generation != gen)
                return;
            st->fired = true;
            boost::system::error_code ignored;
            sock->cancel(ignored);
        });
    }
    void expires_after(std::chrono::steady_clock::duration d)
    {
        expires_at(std::chrono::steady_clock::now() + d);
    }
    bool fired() const { return state_->fired; }

private:
    struct state
    {
        std::uint64_t generation = 0;
        bool fired = false;
    };
    net::ip::tcp::socket* socket_;
    net::steady_timer timer_;
    std::shared_ptr<state> state_ = std::make_shared<state>();
};

// `idle` bounds the wait for the first byte, `whole` the head from its first byte on. `timed` is
// the beast::tcp_stream whose socket a cancel_deadline watches, or (component tests) any object
// with expires_after() and fired().
template <typename Stream, typename Timed>
common::task<head_result> read_head(Stream& s, Timed& timed, beast::flat_buffer& buf, std::size_t max,
                                    std::chrono::milliseconds idle, std::chrono::milliseconds whole)
{
    std::size_t scanned = 0;
    bool started = buf.size() > 0;
    using deadline_type =
        std::conditional_t<std::is_same_v<Timed, beast::tcp_stream>, cancel_deadline, Timed&>;
    deadline_type deadline(timed); // the socket stays open for a 408
    deadline.expires_after(started ? whole : idle);
    for (;;) {
        std::string_view data(static_cast<const char*>(buf.data().data()), buf.size());
        auto end = find_head_end(data, scanned > 2 ? scanned - 2 : 0);
        if (end != std::string_view::npos)
            co_return head_result{end > max ? head_status::too_large : head_status::ok, end, true};
        if (data.size() >= max)
            co_return head_result{head_status::too_large, 0, true};
        scanned = data.size();
        if (deadline.fired()) // it may fire just as a read completes
            co_return head_result{head_status::timeout, 0, started};
        auto [ec, n] =
            co_await s.async_read_some(buf.prepare(buf.size() == 0 ? 1024 : 4096), common::use_nothrow);
        if (ec) {
            if (deadline.fired())
                co_return head_result{head_status::timeout, 0, started};
            co_return head_result{started ? head_status::error : head_status::closed, 0, started};
        }
        buf.commit(n);
        if (!started) {
            started = true;
            deadline.expires_after(whole);
        }
    }
}

// An upstream response head the proxy refuses to relay (502): NUL or other control bytes,
// bare CR, obs-fold (a line starting with SP or HT).
inline bool bad_response_head(std::string_view head)
{
    for (std::size_t i = 0; i < head.size(); ++i) {
        unsigned char c = static_cast<unsigned char>(head[i]);
        if (c == '\r' && (i + 1 >= head.size() || head[i + 1] != '\n'))
            return true;
        if (c == '\n' && i + 1 < head.size() && (head[i + 1] == ' ' || head[i + 1] == '\t'))
            return true;
        if ((c < 0x20 && c != '\r' && c != '\n' && c != '\t') || c == 0x7f)
            return true;
    }
    return false;
}

} // namespace proxy
