// The upstream pool's state machine, sans-I/O so it is unit-tested without sockets.
// `Conn` is whatever the I/O layer pools (a unique_ptr to a connection); dropping one closes it.
//
// Rules (STYLE.md "Pool"): bounded total (idle + busy), bounded idle, idle connections LIFO (the
// most recently used is the least likely to have been closed by the upstream), idle timeout
// shorter than the upstream's, and a connection comes back only after a clean keep-alive
// exchange (the caller says so with `reusable`).
//
// The idle bound is enforced by age, not on release: a connection given back while `max_idle`
// are already idle is kept, and the surplus (oldest first) is closed once it has been idle for
// `surplus_idle_timeout`. Closing it on release instead made a burst of concurrency churn:
// with 1000 requests in flight and 128 idle allowed, about one request in five opened a new
// upstream connection, and the proxy spent a third more CPU per request (docs/BENCHMARKS.md).
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <optional>
#include <utility>

namespace proxy {

struct pool_limits
{
    std::size_t max_total = 1024;
    std::size_t max_idle = 128;
    std::chrono::steady_clock::duration idle_timeout = std::chrono::seconds(4);
    // How long idle connections beyond max_idle are kept for the next burst.
    std::chrono::steady_clock::duration surplus_idle_timeout = std::chrono::seconds(1);
};

template <typename Conn>
class pool_core
{
public:
    using clock = std::chrono::steady_clock;
    enum class verdict
    {
        reuse,
        connect,
        exhausted
    };

    struct acquired
    {
        verdict what;
        std::optional<Conn> conn; // set for reuse
    };

    explicit pool_core(pool_limits limits) : limits_(limits) {}

    // reuse: the newest idle connection younger than the idle timeout (older ones are closed);
    // connect: a slot is reserved, the caller connects and calls connected() or connect_failed();
    // exhausted: max_total busy connections already (503).
    acquired acquire(clock::time_point now)
    {
        expire(now);
        if (!idle_.empty()) {
            Conn c = std::move(idle_.back().conn);
            idle_.pop_back();
            ++busy_;
            return {verdict::reuse, std::move(c)};
        }
        if (closed_ || busy_ >= limits_.max_total)
            return {verdict::exhausted, std::nullopt};
        ++busy_;
        return {verdict::connect, std::nullopt};
    }

    // A reserved connect slot that did not produce a connection.
    void connect_failed() { --busy_; }

    // Gives a busy connection back. Returns it when it was not kept (the caller closes it, or
    // just lets it drop). A reusable one is always kept: it was counted in the total already.
    std::optional<Conn> release(Conn c, bool reusable, clock::time_point now)
    {
        --busy_;
        if (!reusable || closed_)
            return std::optional<Conn>(std::move(c));
        idle_.push_back({std::move(c), now});
        return std::nullopt;
    }

    // A connection taken with acquire() that turned out stale: forget it (the caller drops it).
    void discard() { --busy_; }

    // Closes idle connections older than the idle timeout, and the oldest of those beyond
    // max_idle once they have been idle for the surplus timeout; returns how many.
    std::size_t expire(clock::time_point now)
    {
        std::size_t n = 0;
        while (!idle_.empty()) {
            auto age = now - idle_.front().since;
            bool surplus = idle_.size() > limits_.max_idle;
            if (age < limits_.idle_timeout && !(surplus && age >= limits_.surplus_idle_timeout))
                break;
            idle_.pop_front();
            ++n;
        }
        return n;
    }

    // Shutdown: drops every idle connection; later releases are not kept.
    void close()
    {
        closed_ = true;
        idle_.clear();
    }

    std::size_t idle() const { return idle_.size(); }
    std::size_t busy() const { return busy_; }
    bool closed() const { return closed_; }

private:
    struct entry
    {
        Conn conn;
        clock::time_point since;
    };
    pool_limits limits_;
    std::deque<entry> idle_; // oldest at the front, newest at the back
    std::size_t busy_ = 0;
    bool closed_ = false;
};

} // namespace proxy
