// proxy::task (proxy/session_task.hpp), the request path's coroutine type: results and exceptions
// through chains of tasks, Asio operations awaited with use_task on real sockets and timers, the
// chain destroyed when the io_context goes away with an operation pending, an initiation that
// throws, deep chains of tasks that finish at once, and frame reuse.
#include "proxy/session_task.hpp"
#include "tests/support/socket_pair.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <catch2/catch.hpp>
#include <stdexcept>
#include <string>

namespace net = boost::asio;
using namespace std::chrono_literals;

namespace {

// Counts live instances: a frame destroyed, normally or abandoned, destroys its locals.
struct live
{
    static inline int count = 0;
    live() { ++count; }
    ~live() { --count; }
    live(const live&) = delete;
    live& operator=(const live&) = delete;
};

proxy::task<std::string> read_some(net::ip::tcp::socket& s)
{
    live l;
    char buf[64];
    auto [ec, n] = co_await s.async_read_some(net::buffer(buf), proxy::use_task);
    if (ec)
        co_return "error: " + ec.message();
    co_return std::string(buf, n);
}

proxy::task<std::string> read_twice(net::ip::tcp::socket& s)
{
    live l;
    auto first = co_await read_some(s);
    auto second = co_await read_some(s);
    co_return first + "|" + second;
}

proxy::task<int> throws_after_wait(net::steady_timer& t)
{
    t.expires_after(1ms);
    auto [ec] = co_await t.async_wait(proxy::use_task);
    (void)ec;
    throw std::runtime_error("from below");
}

proxy::task<int> middle(net::steady_timer& t)
{
    live l;
    co_return co_await throws_after_wait(t) + 1;
}

proxy::task<int> immediate(int i)
{
    co_return i;
}

} // namespace

TEST_CASE("task: results through a chain, Asio reads awaited with use_task", "[component][proxy]")
{
    net::io_context ioc;
    auto [a, b] = test_support::socket_pair(ioc);
    std::string got;
    bool failed = false;
    proxy::spawn([](net::ip::tcp::socket& s,
                    std::string& out) -> proxy::task<void> { out = co_await read_twice(s); }(a, got),
                 [&](std::exception_ptr) { failed = true; });
    CHECK(live::count == 2); // suspended in the first read: two frames hold a `live`
    net::write(b, net::buffer("one", 3));
    ioc.run_one();
    net::write(b, net::buffer("two", 3));
    ioc.run();
    CHECK(got == "one|two");
    CHECK_FALSE(failed);
    CHECK(live::count == 0);

    // An error completes the operation as a value, not an exception.
    ioc.restart();
    proxy::spawn([](net::ip::tcp::socket& s,
                    std::string& out) -> proxy::task<void> { out = co_await read_some(s); }(a, got),
                 [&](std::exception_ptr) { failed = true; });
    b.close();
    ioc.run();
    CHECK(got == "error: End of file");
    CHECK_FALSE(failed);
}

TEST_CASE("task: an exception reaches the awaiting task, then spawn's error callback", "[component][proxy]")
{
    net::io_context ioc;
    net::steady_timer t(ioc);
    std::string caught;
    proxy::spawn(
        [](net::steady_timer& timer, std::string& out) -> proxy::task<void> {
            try {
                co_await middle(timer);
            } catch (const std::exception& e) {
                out = e.what();
            }
        }(t, caught),
        [](std::exception_ptr) { FAIL("caught inside, must not reach spawn"); });
    ioc.run();
    CHECK(caught == "from below");
    CHECK(live::count == 0);

    ioc.restart();
    std::string reported;
    proxy::spawn([](net::steady_timer& timer) -> proxy::task<void> { co_await middle(timer); }(t),
                 [&](std::exception_ptr e) {
                     try {
                         std::rethrow_exception(e);
                     } catch (const std::exception& x) {
                         reported = x.what();
                     }
                 });
    ioc.run();
    CHECK(reported == "from below");
    CHECK(live::count == 0);
}

TEST_CASE("task: an io_context destroyed with an operation pending destroys the whole chain",
          "[component][proxy]")
{
    bool resumed = false, failed = false;
    {
        net::io_context ioc;
        auto [a, b] = test_support::socket_pair(ioc);
        proxy::spawn(
            [](net::ip::tcp::socket& s, bool& r) -> proxy::task<void> {
                live l;
                co_await read_twice(s);
                r = true;
            }(a, resumed),
            [&](std::exception_ptr) { failed = true; });
        CHECK(live::count == 3);
        ioc.run_for(10ms); // nothing to read: the read stays pending
        CHECK(live::count == 3);
        // The sockets go first, then the io_context with the pending read's handler.
    }
    CHECK(live::count == 0);
    CHECK_FALSE(resumed);
    CHECK_FALSE(failed);
}

TEST_CASE("task: an initiation that throws throws in the coroutine, the chain lives on", "[component][proxy]")
{
    net::io_context ioc;
    std::string caught;
    bool after = false;
    proxy::spawn(
        [](std::string& out, bool& went_on) -> proxy::task<void> {
            live l;
            try {
                co_await net::async_initiate<const proxy::use_task_t&, void(boost::system::error_code)>(
                    [](auto handler) {
                        auto moved = std::move(handler); // held, then dropped by the throw
                        throw std::runtime_error("initiation failed");
                    },
                    proxy::use_task);
            } catch (const std::exception& e) {
                out = e.what();
            }
            went_on = true;
        }(caught, after),
        [](std::exception_ptr) { FAIL("caught inside"); });
    ioc.run();
    CHECK(caught == "initiation failed");
    CHECK(after);
    CHECK(live::count == 0);
}

TEST_CASE("task: a long run of tasks that finish at once does not grow the stack", "[component][proxy]")
{
    long sum = 0;
    bool failed = false;
    proxy::spawn(
        [](long& s) -> proxy::task<void> {
            for (int i = 0; i < 1'000'000; ++i)
                s += co_await immediate(i);
        }(sum),
        [&](std::exception_ptr) { failed = true; });
    CHECK(sum == 499'999'500'000L);
    CHECK_FALSE(failed);
}

TEST_CASE("session_frames: a freed frame is reused for the next of its size class", "[component][proxy]")
{
    void* a = proxy::session_frames::allocate(300);
    proxy::session_frames::deallocate(a, 300);
    void* b = proxy::session_frames::allocate(500); // same 512-byte class
    CHECK(b == a);
    proxy::session_frames::deallocate(b, 500);
    void* big = proxy::session_frames::allocate(64 * 1024); // past the classes: plain new
    proxy::session_frames::deallocate(big, 64 * 1024);
}
