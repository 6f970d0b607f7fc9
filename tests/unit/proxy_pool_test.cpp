// The upstream pool's state machine (sans-I/O): LIFO reuse, bounds, idle timeout, shutdown.
#include "proxy/pool_core.hpp"

#include <catch2/catch.hpp>

using namespace std::chrono_literals;
using pool = proxy::pool_core<int>;

TEST_CASE("pool: connect when empty, reuse newest first (LIFO)", "[unit][proxy]")
{
    pool p({4, 4, 10s});
    auto t = pool::clock::time_point{} + 100s;
    CHECK(p.acquire(t).what == pool::verdict::connect);
    CHECK(p.acquire(t).what == pool::verdict::connect);
    CHECK(p.busy() == 2);
    CHECK_FALSE(p.release(1, true, t));
    CHECK_FALSE(p.release(2, true, t + 1s));
    CHECK(p.idle() == 2);
    auto a = p.acquire(t + 2s);
    CHECK(a.what == pool::verdict::reuse);
    CHECK(*a.conn == 2);
    CHECK(p.busy() == 1);
}

TEST_CASE("pool: only clean exchanges come back", "[unit][proxy]")
{
    pool p({4, 4, 10s});
    auto t = pool::clock::time_point{} + 100s;
    p.acquire(t);
    auto dropped = p.release(7, false, t);
    REQUIRE(dropped);
    CHECK(*dropped == 7);
    CHECK(p.idle() == 0);
    CHECK(p.busy() == 0);
}

TEST_CASE("pool: bounded total, and idle beyond max_idle kept for the surplus timeout only", "[unit][proxy]")
{
    pool p({2, 1, 10s, 1s});
    auto t = pool::clock::time_point{} + 100s;
    CHECK(p.acquire(t).what == pool::verdict::connect);
    CHECK(p.acquire(t).what == pool::verdict::connect);
    CHECK(p.acquire(t).what == pool::verdict::exhausted);
    CHECK_FALSE(p.release(1, true, t));
    CHECK_FALSE(p.release(2, true, t + 100ms)); // over max_idle, but kept for the next burst
    CHECK(p.idle() == 2);
    CHECK(p.busy() == 0);
    CHECK(p.expire(t + 999ms) == 0);
    CHECK(p.expire(t + 1s) == 1); // the oldest surplus one goes; max_idle stay
    CHECK(p.idle() == 1);
    CHECK(p.expire(t + 5s) == 0);
    auto again = p.acquire(t + 5s);
    CHECK(again.what == pool::verdict::reuse);
    CHECK(*again.conn == 2); // the newest was kept
    CHECK(p.acquire(t + 5s).what == pool::verdict::connect);
    CHECK(p.acquire(t + 5s).what == pool::verdict::exhausted);
}

TEST_CASE("pool: a burst that ends leaves max_idle connections after the surplus timeout", "[unit][proxy]")
{
    pool p({100, 4, 10s, 1s});
    auto t = pool::clock::time_point{} + 100s;
    for (int i = 0; i < 50; ++i)
        REQUIRE(p.acquire(t).what == pool::verdict::connect);
    for (int i = 0; i < 50; ++i)
        CHECK_FALSE(p.release(i, true, t));
    // The burst comes back at once: every request reuses, nothing reconnects.
    for (int i = 0; i < 50; ++i)
        CHECK(p.acquire(t + 500ms).what == pool::verdict::reuse);
    for (int i = 0; i < 50; ++i)
        p.release(i, true, t + 500ms);
    CHECK(p.expire(t + 1400ms) == 0);
    CHECK(p.expire(t + 1500ms) == 46);
    CHECK(p.idle() == 4);
    CHECK(p.busy() == 0);
}

TEST_CASE("pool: idle timeout expires the oldest, failed connects free their slot", "[unit][proxy]")
{
    pool p({3, 3, 4s});
    auto t = pool::clock::time_point{} + 100s;
    p.acquire(t);
    p.acquire(t);
    p.release(1, true, t);
    p.release(2, true, t + 3s);
    CHECK(p.expire(t + 4s) == 1); // 1 is 4 s old
    CHECK(p.idle() == 1);
    auto a = p.acquire(t + 8s); // 2 is now too old as well: a new connection is needed
    CHECK(a.what == pool::verdict::connect);
    CHECK(p.idle() == 0);
    p.connect_failed();
    CHECK(p.busy() == 0);
}

TEST_CASE("pool: stale discard and shutdown", "[unit][proxy]")
{
    pool p({3, 3, 10s});
    auto t = pool::clock::time_point{} + 100s;
    p.acquire(t);
    p.release(1, true, t);
    auto a = p.acquire(t);
    REQUIRE(a.what == pool::verdict::reuse);
    p.discard(); // the I/O layer found it closed by the upstream
    CHECK(p.busy() == 0);
    p.acquire(t);
    p.acquire(t);
    p.release(2, true, t);
    p.close();
    CHECK(p.idle() == 0);
    CHECK(p.release(3, true, t)); // after shutdown nothing is kept
    CHECK(p.acquire(t).what == pool::verdict::exhausted);
}
