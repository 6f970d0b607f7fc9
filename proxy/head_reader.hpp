// Reads an HTTP head (request or response) into a flat_buffer up to and including the blank
// line, so that the raw bytes can be checked before Beast parses them. Shared by the client
// side and the upstream side of a session.
#pragma once

#include "common/net.hpp"
#include "proxy/http1.hpp"
#include "proxy/session_task.hpp"

#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <chrono>
#include <string_view>

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

// `idle` bounds the wait for the first byte, `whole` the head from its first byte on. `deadline`
// is the socket's io_deadline, or (component tests) any object with expires_after() and fired().
template <typename Stream, typename Deadline>
task<head_result> read_head(Stream& s, Deadline& deadline, beast::flat_buffer& buf, std::size_t max,
                            std::chrono::milliseconds idle, std::chrono::milliseconds whole)
{
    std::size_t scanned = 0;
    bool started = buf.size() > 0;
    bool arm_whole = false; // the first byte came: `whole` bounds the rest (armed before a next read)
    deadline.expires_after(started ? whole : idle);
    for (;;) {
        std::string_view data(static_cast<const char*>(buf.data().data()), buf.size());
        auto end = http1::find_head_end(data, scanned > 2 ? scanned - 2 : 0);
        if (end != std::string_view::npos)
            co_return head_result{end > max ? head_status::too_large : head_status::ok, end, true};
        if (data.size() >= max)
            co_return head_result{head_status::too_large, 0, true};
        scanned = data.size();
        if (deadline.fired()) // it may fire just as a read completes
            co_return head_result{head_status::timeout, 0, started};
        if (arm_whole) {
            deadline.expires_after(whole);
            arm_whole = false;
        }
        auto [ec, n] = co_await s.async_read_some(buf.prepare(buf.size() == 0 ? 1024 : 4096), use_task);
        if (ec) {
            if (deadline.fired())
                co_return head_result{head_status::timeout, 0, started};
            co_return head_result{started ? head_status::error : head_status::closed, 0, started};
        }
        buf.commit(n);
        if (!started) {
            // Not re-armed yet: a head that came in one read (the usual case) costs no clock read.
            started = true;
            arm_whole = true;
        }
    }
}

} // namespace proxy
