// Worker threads and their coroutines: the open-loop window runner and send loops, closed-loop
// users, and the timeout sweep.
#include "bench/loadgen/workers.hpp"

#include "bench/loadgen/schedule.hpp"
#include "common/logging.hpp"

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>
#include <thread>
#include <time.h>

namespace loadgen {
namespace {

using common::task;
using common::use_nothrow;

std::uint64_t splitmix(std::uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

// CPU time of the calling thread.
std::chrono::nanoseconds thread_cpu_time()
{
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

std::uint64_t unix_ms()
{
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count());
}

class worker
{
public:
    worker(const run_plan& plan, unsigned id, clock::time_point start, progress* live)
        : plan_(plan), id_(id), live_(live), start_(start), measure_start_(start + plan.warmup),
          end_(start + plan.warmup + plan.duration), sched_(plan.open_loop ? plan.rate : 1.0, plan.ramp_up),
          rec_(plan.targets.size()), idle_(plan.targets.size()), open_(plan.targets.size(), 0),
          waiting_(plan.targets.size(), 0), next_(plan.targets.size(), 0)
    {
        end_index_ = plan.open_loop ? sched_.count_before(plan.warmup + plan.duration) : 0;
        max_conns_ = std::max(1u, (plan.connections + plan.threads - 1) / plan.threads);
        for (std::size_t t = 0; t < next_.size(); ++t)
            next_[t] = seek(t, id);
    }

    void run()
    {
        ++tasks_;
        net::co_spawn(ioc_, sweep(), [](std::exception_ptr e) { common::log_coroutine_exception(e); });
        net::co_spawn(ioc_, meter_cpu(), [](std::exception_ptr e) { common::log_coroutine_exception(e); });
        if (live_)
            net::co_spawn(ioc_, publish(), [](std::exception_ptr e) { common::log_coroutine_exception(e); });
        if (plan_.open_loop) {
            spawn([this] { return window_runner(); });
        } else {
            for (unsigned u = id_; u < plan_.users; u += plan_.threads)
                spawn([this, u] { return user(u); });
        }
        --tasks_;
        ioc_.run();
    }

    recorder& rec() { return rec_; }
    // This thread's CPU over the measured phase, in % of a core; none when the load ended before it.
    std::optional<double> cpu_percent() const { return cpu_percent_; }

private:
    template <typename Make>
    void spawn(Make make)
    {
        ++tasks_;
        net::co_spawn(ioc_, make(), [this](std::exception_ptr e) {
            --tasks_;
            common::log_coroutine_exception(e);
        });
    }

    std::uint32_t window_of(clock::time_point t) const
    {
        return t <= start_ ? 0 : static_cast<std::uint32_t>((t - start_) / plan_.window);
    }
    std::size_t target_at(clock::time_point t) const
    {
        return window_target(window_of(t), plan_.targets.size(), plan_.seed);
    }

    // Connections live as long as the worker (the sweep reaches them all); a closed one simply
    // reconnects on its next exchange.
    connection* take_connection(std::size_t t)
    {
        if (!idle_[t].empty()) {
            auto* c = idle_[t].back();
            idle_[t].pop_back();
            return c;
        }
        ++open_[t];
        all_.push_back(std::make_unique<connection>(ioc_.get_executor(), plan_.targets[t].endpoint,
                                                    plan_.targets[t].tls.get()));
        return all_.back().get();
    }
    void give_back(std::size_t t, connection* c) { idle_[t].push_back(c); }

    // Each target has its own cursor into the schedule: the next index of this worker's stride
    // (i = id mod threads) that is due in one of that target's windows. With one shared cursor, a
    // target that falls behind (all its connections waiting on slow answers) held the other
    // target's windows back too: their requests queued behind its overdue ones, and an overloaded
    // gateway left its direct side with nothing measured.
    std::uint64_t seek(std::size_t t, std::uint64_t i) const
    {
        const auto n = plan_.targets.size();
        if (n < 2)
            return i;
        while (i < end_index_) {
            auto k = window_of(start_ + sched_.due(i));
            if (window_target(k, n, plan_.seed) == t)
                return i;
            auto next_window = k + 1;
            while (window_target(next_window, n, plan_.seed) != t)
                ++next_window;
            auto first = sched_.count_before(next_window * plan_.window);
            first += (id_ + plan_.threads - first % plan_.threads) % plan_.threads;
            i = std::max(first, i + plan_.threads); // always forward, whatever the rounding
        }
        return i;
    }
    bool schedule_done() const
    {
        for (auto i : next_)
            if (i < end_index_)
                return false;
        return true;
    }

    // Open loop: at each window start, start as many send loops for that window's target as it
    // had connections last time (at least one); with a single target, once.
    task<void> window_runner()
    {
        net::steady_timer timer(ioc_);
        for (std::uint32_t k = 0;; ++k) {
            auto ws = start_ + k * plan_.window;
            if (ws >= end_ || schedule_done())
                break;
            timer.expires_at(ws);
            co_await timer.async_wait(use_nothrow);
            auto t = window_target(k, plan_.targets.size(), plan_.seed);
            auto n = std::max<std::size_t>(1, idle_[t].size());
            for (std::size_t j = 0; j < n; ++j)
                spawn([this, t] { return send_loop(t); });
            if (plan_.targets.size() == 1)
                break;
        }
    }

    // One connection: claim the next due request of this target, wait for its time, send it.
    // Before sending, make sure another loop is waiting for the next one (up to the target's
    // connection limit), so a slow response never holds back the schedule. Overdue requests of
    // past windows are still sent (late, and counted so); a request of a later window ends the
    // loop, and that window's runner starts the loops again.
    task<void> send_loop(std::size_t t)
    {
        auto conn = take_connection(t);
        const auto& target = plan_.targets[t];
        net::steady_timer timer(ioc_);
        request_buffer request;
        while (next_[t] < end_index_) {
            std::uint64_t i = next_[t];
            auto due = start_ + sched_.due(i);
            auto now = clock::now(); // read again only after a wait
            if (plan_.targets.size() > 1 && due > now && window_of(due) != window_of(now))
                break;
            next_[t] = seek(t, i + plan_.threads);
            if (due > now) {
                ++waiting_[t];
                timer.expires_at(due);
                co_await timer.async_wait(use_nothrow);
                --waiting_[t];
                now = clock::now();
            }
            if (now - due > plan_.late_threshold && due >= measure_start_)
                rec_.count_late(t);
            if (now - due >= plan_.timeout) {
                // A client would have given up on it before it could be sent: a failure, and no
                // send, so that an overloaded target's backlog ends with the run, not minutes later.
                exchange_result gave_up;
                gave_up.drop = drop_reason::unsent;
                rec_.record(t, gave_up, due, measure_start_, window_of(due));
                if (live_) {
                    live_->done.fetch_add(1, std::memory_order_relaxed);
                    live_->errors.fetch_add(1, std::memory_order_relaxed);
                }
                continue;
            }
            if (waiting_[t] == 0 && open_[t] < max_conns_ && next_[t] < end_index_)
                spawn([this, t] { return send_loop(t); });
            target.builder->build(i, unix_ms(), request);
            bool measured = due >= measure_start_;
            if (live_)
                live_->in_flight.fetch_add(1, std::memory_order_relaxed);
            auto r = co_await conn->exchange(request.bytes, plan_.stream,
                                             measured ? &rec_.target(t).gap : nullptr);
            if (live_)
                count_live(r);
            rec_.record(t, r, due, measure_start_, window_of(due));
        }
        give_back(t, conn);
    }

    // Closed loop: user u starts at the run's start plus its ramp-up offset, then sends back to
    // back until the end (or its -baseline count). Not before the start: a request sent in the
    // lead time would be counted as warm-up, and a short run could record nothing.
    task<void> user(unsigned u)
    {
        net::steady_timer timer(ioc_);
        timer.expires_at(start_ + plan_.ramp_up * u / std::max(1u, plan_.users));
        co_await timer.async_wait(use_nothrow);
        std::vector<connection*> conns;
        for (std::size_t t = 0; t < plan_.targets.size(); ++t)
            conns.push_back(take_connection(t));
        request_buffer request;
        for (std::uint64_t n = 0;; ++n) {
            auto before = clock::now();
            if (before >= end_ || (plan_.requests_per_user > 0 && n >= plan_.requests_per_user))
                break;
            auto t = target_at(before);
            plan_.targets[t].builder->build((std::uint64_t{u} << 32) | n, unix_ms(), request);
            if (live_)
                live_->in_flight.fetch_add(1, std::memory_order_relaxed);
            bool measured = before >= measure_start_;
            auto r = co_await conns[t]->exchange(request.bytes, plan_.stream,
                                                 measured ? &rec_.target(t).gap : nullptr);
            if (live_)
                count_live(r);
            auto sent = r.sent_at == clock::time_point{} ? before : r.sent_at;
            rec_.record(t, r, sent, measure_start_, window_of(sent));
            if (r.drop != drop_reason::none) { // do not spin on a dead target
                timer.expires_after(std::chrono::milliseconds(10));
                co_await timer.async_wait(use_nothrow);
            }
        }
        for (std::size_t t = 0; t < conns.size(); ++t)
            give_back(t, conns[t]);
    }

    void count_live(const exchange_result& r)
    {
        live_->in_flight.fetch_sub(1, std::memory_order_relaxed);
        live_->done.fetch_add(1, std::memory_order_relaxed);
        if (r.drop != drop_reason::none || r.status < 200 || r.status > 299)
            live_->errors.fetch_add(1, std::memory_order_relaxed);
    }

    // Aborts exchanges older than the timeout; ends with the load coroutines.
    task<void> sweep()
    {
        net::steady_timer timer(ioc_);
        auto period = std::min<std::chrono::nanoseconds>(plan_.timeout / 4, std::chrono::milliseconds(50));
        while (tasks_ > 0) {
            timer.expires_after(period);
            co_await timer.async_wait(use_nothrow);
            auto now = clock::now();
            for (auto& c : all_)
                if (c->busy() && now - c->busy_since() > plan_.timeout)
                    c->abort_for_timeout();
        }
        cpu_timer_.cancel(); // a load that ended early: the phase measured so far
    }

    // A worker near a whole core delays its own sends and reads: every latency it records then
    // includes time spent waiting for bench, on both sides of an overhead run. Measured from the
    // start to the end of the measured phase (or to the end of the load, when that comes first).
    task<void> meter_cpu()
    {
        cpu_timer_.expires_at(measure_start_);
        auto [ec] = co_await cpu_timer_.async_wait(use_nothrow);
        if (ec || tasks_ == 0)
            co_return;
        auto cpu_from = thread_cpu_time();
        auto wall_from = clock::now();
        cpu_timer_.expires_at(end_);
        co_await cpu_timer_.async_wait(use_nothrow);
        std::chrono::duration<double> cpu = thread_cpu_time() - cpu_from, wall = clock::now() - wall_from;
        if (wall.count() > 0)
            cpu_percent_ = 100.0 * cpu.count() / wall.count();
    }

    // Copies the latency histogram for the progress line once a second.
    task<void> publish()
    {
        net::steady_timer timer(ioc_);
        while (tasks_ > 0) {
            timer.expires_after(std::chrono::milliseconds(500));
            co_await timer.async_wait(use_nothrow);
            std::lock_guard lock(live_->mutex);
            live_->snapshots[id_] = rec_.target(0).latency;
        }
    }

    const run_plan& plan_;
    unsigned id_;
    progress* live_;
    clock::time_point start_, measure_start_, end_;
    schedule sched_;
    // One thread runs this context and nothing else touches it (no post from other threads):
    // no scheduler or reactor locks needed.
    net::io_context ioc_{BOOST_ASIO_CONCURRENCY_HINT_UNSAFE};
    recorder rec_;
    std::vector<std::unique_ptr<connection>> all_;
    std::vector<std::vector<connection*>> idle_;
    std::vector<unsigned> open_;
    std::vector<unsigned> waiting_;
    std::vector<std::uint64_t> next_; // per target: see seek()
    std::uint64_t end_index_ = 0;
    unsigned max_conns_ = 1; // per target
    int tasks_ = 0;          // running load coroutines; the sweep stops when they are done
    net::steady_timer cpu_timer_{ioc_};
    std::optional<double> cpu_percent_;
};

} // namespace

std::size_t window_target(std::uint32_t k, std::size_t targets, std::uint64_t seed)
{
    if (targets < 2)
        return 0;
    std::size_t first = splitmix(seed ^ (k / 2)) & 1;
    return k % 2 == 0 ? first : 1 - first;
}

double target_seconds(std::chrono::nanoseconds from, std::chrono::nanoseconds to,
                      std::chrono::nanoseconds window, std::size_t t, std::size_t targets, std::uint64_t seed)
{
    using seconds = std::chrono::duration<double>;
    if (to <= from)
        return 0;
    if (targets < 2 || window.count() <= 0)
        return seconds(to - from).count();
    std::chrono::nanoseconds total{};
    for (auto k = static_cast<std::uint32_t>(from / window); k * window < to; ++k) {
        if (window_target(k, targets, seed) != t)
            continue;
        auto lo = std::max(from, k * window), hi = std::min(to, (k + 1) * window);
        if (hi > lo)
            total += hi - lo;
    }
    return seconds(total).count();
}

run_output run_load(const run_plan& plan, progress* live)
{
    // Start a little ahead so that every thread is running before the first request is due.
    auto start = clock::now() + std::chrono::milliseconds(20);
    if (live)
        live->snapshots.assign(plan.threads, {});
    std::vector<std::unique_ptr<worker>> workers;
    for (unsigned w = 0; w < plan.threads; ++w)
        workers.push_back(std::make_unique<worker>(plan, w, start, live));
    std::vector<std::thread> threads;
    for (auto& w : workers)
        threads.emplace_back([&w] { w->run(); });
    for (auto& t : threads)
        t.join();
    run_output out{recorder(plan.targets.size()), std::chrono::duration<double>(plan.duration).count(), {}};
    for (auto& w : workers) {
        out.rec.merge(w->rec());
        if (auto p = w->cpu_percent())
            out.thread_cpu_percent.push_back(*p);
    }
    return out;
}
} // namespace loadgen
