// The coroutine type of the proxy's request path, and the completion token that awaits Asio
// operations from it.
//
// Why not net::awaitable: callgrind put about 3.9k of the proxy's 14.7k instructions per request
// in awaitable's machinery (docs/BENCHMARKS.md, "A lean coroutine type"). Each awaited
// operation there costs a coroutine frame of its own for the initiation, type-erased executor
// copies, and a resumption through the awaitable thread's pump. Here:
// - a task starts when it is awaited, runs until it suspends or ends, and hands control back to
//   its awaiter directly (no scheduler round trip);
// - frames come from a per-thread free list (session_frames), not malloc;
// - `co_await op(..., use_task)` starts the operation with a handler that stores the results and
//   resumes the coroutine directly: no frame, no executor copies.
//
// Results come back as a tuple, as with common::use_nothrow: `auto [ec, n] = co_await
// s.async_read_some(buf, use_task);`. Exceptions travel up the chain of awaiting tasks; the one
// spawn() started hands what reaches it to its error callback.
//
// Lifetime follows net::awaitable's: a chain of tasks lives until its top finishes, or until the
// pending operation's handler is destroyed without being called (io_context shut down with the
// operation pending), which destroys the chain from its top. A chain's operations must complete
// on one thread, the one that started them (each worker's io_context runs on its own thread).
#pragma once

#include <array>
#include <boost/asio/async_result.hpp>
#include <coroutine>
#include <cstddef>
#include <exception>
#include <new>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>

namespace proxy {

// Coroutine frames from per-thread free lists, by size class. A session's coroutines are made and
// destroyed once per request; the lists keep the blocks of the largest recent burst per class.
class session_frames
{
public:
    static void* allocate(std::size_t n)
    {
        auto c = size_class(n);
        if (c < classes) {
            auto& l = lists()[c];
            if (l.head) {
                auto* b = l.head;
                l.head = b->next;
                --l.count;
                return b;
            }
            return ::operator new((c + 1) * granule);
        }
        return ::operator new(n);
    }
    static void deallocate(void* p, std::size_t n) noexcept
    {
        auto c = size_class(n);
        if (c < classes) {
            auto& l = lists()[c];
            if (l.count < max_cached) {
                auto* b = static_cast<block*>(p);
                b->next = l.head;
                l.head = b;
                ++l.count;
                return;
            }
            ::operator delete(p);
            return;
        }
        ::operator delete(p);
    }

private:
    static constexpr std::size_t granule = 256;
    static constexpr std::size_t classes = 16; // frames up to 4 KiB
    static constexpr std::size_t max_cached = 1024;
    struct block
    {
        block* next;
    };
    struct free_list
    {
        block* head = nullptr;
        std::size_t count = 0;
    };
    struct all_lists : std::array<free_list, classes>
    {
        ~all_lists()
        {
            for (std::size_t c = 0; c < classes; ++c)
                while (auto* b = (*this)[c].head) {
                    (*this)[c].head = b->next;
                    ::operator delete(b);
                }
        }
    };
    static std::size_t size_class(std::size_t n) { return (n + granule - 1) / granule - 1; }
    static all_lists& lists()
    {
        thread_local all_lists l;
        return l;
    }
};

namespace task_detail {

// What every promise of a chain shares: the coroutine that awaits it, and the chain's top (the
// frame to destroy when the chain is abandoned).
struct promise_base
{
    std::coroutine_handle<> continuation;
    std::coroutine_handle<> top;
    std::exception_ptr error;
    bool inline_start = false; // running inside its awaiter's await_suspend (see task::awaiter)
    bool inline_done = false;  // and it finished there

    static void* operator new(std::size_t n) { return session_frames::allocate(n); }
    static void operator delete(void* p, std::size_t n) noexcept { session_frames::deallocate(p, n); }
};

// At its end a task goes back to its awaiter: by returning into the awaiter's await_suspend when
// it never suspended, else by resuming the awaiter (symmetric transfer).
struct final_awaiter
{
    bool await_ready() const noexcept { return false; }
    template <typename P>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) noexcept
    {
        auto& p = h.promise();
        if (p.inline_start) {
            p.inline_done = true;
            return std::noop_coroutine();
        }
        return p.continuation;
    }
    void await_resume() const noexcept {}
};

template <typename T>
struct promise_value
{
    std::optional<T> value;
    template <typename U>
    void return_value(U&& v)
    {
        value.emplace(std::forward<U>(v));
    }
    T take() { return std::move(*value); }
};

template <>
struct promise_value<void>
{
    void return_void() {}
    void take() {}
};

} // namespace task_detail

template <typename T = void>
class [[nodiscard]] task
{
public:
    using value_type = T;
    struct promise_type : task_detail::promise_base, task_detail::promise_value<T>
    {
        task get_return_object() { return task(std::coroutine_handle<promise_type>::from_promise(*this)); }
        std::suspend_always initial_suspend() noexcept { return {}; }
        task_detail::final_awaiter final_suspend() noexcept { return {}; }
        void unhandled_exception() { this->error = std::current_exception(); }
    };

    task(task&& o) noexcept : h_(std::exchange(o.h_, nullptr)) {}
    task& operator=(task&& o) noexcept
    {
        if (this != &o) {
            if (h_)
                h_.destroy();
            h_ = std::exchange(o.h_, nullptr);
        }
        return *this;
    }
    ~task()
    {
        if (h_)
            h_.destroy();
    }

    // The awaited task runs inside await_suspend. If it finishes without suspending, the awaiter
    // goes on (await_suspend returns false) with its stack back where it was: a loop over tasks
    // that finish at once does not grow the stack, even where the compiler does not turn
    // symmetric transfer into a tail call (GCC without optimisation, or with ASan).
    struct awaiter
    {
        std::coroutine_handle<promise_type> h;
        bool await_ready() const noexcept { return false; }
        template <typename P>
        bool await_suspend(std::coroutine_handle<P> parent) noexcept
        {
            auto& p = h.promise();
            p.continuation = parent;
            p.top = parent.promise().top;
            p.inline_start = true;
            h.resume();
            if (p.inline_done)
                return false;
            p.inline_start = false; // it suspended: its end resumes the awaiter
            return true;
        }
        T await_resume()
        {
            if (h.promise().error)
                std::rethrow_exception(h.promise().error);
            return h.promise().take();
        }
    };
    awaiter operator co_await() && noexcept { return awaiter{h_}; }

private:
    explicit task(std::coroutine_handle<promise_type> h) : h_(h) {}
    std::coroutine_handle<promise_type> h_;
};

namespace task_detail {

// The top of a chain started by spawn(): runs at once, destroys itself at its end.
struct detached
{
    struct promise_type : promise_base
    {
        detached get_return_object()
        {
            top = std::coroutine_handle<promise_type>::from_promise(*this);
            return {};
        }
        std::suspend_never initial_suspend() noexcept { return {}; }
        std::suspend_never final_suspend() noexcept { return {}; }
        void return_void() {}
        void unhandled_exception() noexcept { std::terminate(); } // on_error must not throw
    };
};

template <typename OnError>
detached run_detached(task<void> t, OnError on_error)
{
    std::exception_ptr e;
    try {
        co_await std::move(t);
    } catch (...) {
        e = std::current_exception();
    }
    if (e)
        on_error(e);
}

} // namespace task_detail

// Starts `t` on the calling thread; it runs until its first pending operation. What it throws is
// given to on_error(std::exception_ptr).
template <typename OnError>
void spawn(task<void> t, OnError on_error)
{
    task_detail::run_detached(std::move(t), std::move(on_error));
}

// The completion token: `co_await s.async_read_some(buf, use_task)` inside a task.
struct use_task_t
{
};
inline constexpr use_task_t use_task{};

namespace task_detail {

// Where an operation's results land, and whom to resume.
template <typename Result>
struct op_state
{
    std::optional<Result> result;
    std::coroutine_handle<> waiter;
    bool started = false; // the initiation returned: the operation is pending
};

// The operation's completion handler. Move-only; destroyed without having been called (the
// io_context shut down), it destroys the chain it would have resumed.
template <typename Result>
class op_handler
{
public:
    op_handler(op_state<Result>* s, std::coroutine_handle<> top) : state_(s), top_(top) {}
    op_handler(op_handler&& o) noexcept
        : state_(std::exchange(o.state_, nullptr)), top_(std::exchange(o.top_, nullptr))
    {}
    op_handler(const op_handler&) = delete;
    op_handler& operator=(const op_handler&) = delete;
    op_handler& operator=(op_handler&&) = delete;
    ~op_handler()
    {
        // Not for a handler dropped by an initiation that threw: the exception goes to the
        // coroutine instead (await_suspend throws).
        if (top_ && state_->started)
            top_.destroy();
    }

    template <typename... Args>
    void operator()(Args&&... args)
    {
        auto* s = std::exchange(state_, nullptr);
        top_ = nullptr;
        s->result.emplace(std::forward<Args>(args)...);
        s->waiter.resume();
    }

private:
    op_state<Result>* state_;
    std::coroutine_handle<> top_;
};

// What `co_await op(..., use_task)` awaits: the operation starts when the coroutine suspends.
template <typename Result, typename Initiation, typename... InitArgs>
class op_awaiter
{
public:
    template <typename I, typename... A>
    explicit op_awaiter(I&& init, A&&... args) : init_(std::forward<I>(init)), args_(std::forward<A>(args)...)
    {}

    bool await_ready() const noexcept { return false; }
    template <typename P>
    void await_suspend(std::coroutine_handle<P> h)
    {
        state_.waiter = h;
        std::apply(
            [&](auto&&... a) {
                std::move(init_)(op_handler<Result>(&state_, h.promise().top), std::move(a)...);
            },
            std::move(args_));
        state_.started = true;
    }
    Result await_resume() { return std::move(*state_.result); }

private:
    Initiation init_;
    std::tuple<InitArgs...> args_;
    op_state<Result> state_;
};

} // namespace task_detail

} // namespace proxy

template <typename... Args>
struct boost::asio::async_result<proxy::use_task_t, void(Args...)>
{
    using result_tuple = std::tuple<std::decay_t<Args>...>;

    template <typename Initiation, typename... InitArgs>
    static auto initiate(Initiation&& init, proxy::use_task_t, InitArgs&&... args)
    {
        return proxy::task_detail::op_awaiter<result_tuple, std::decay_t<Initiation>,
                                              std::decay_t<InitArgs>...>(std::forward<Initiation>(init),
                                                                         std::forward<InitArgs>(args)...);
    }
};
