// Unit tests: /proc/PID/stat read field by field, and the CPU of the processes a run did not
// measure, between two censuses.
#include "common/process_census.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <string>
#include <unistd.h>
#include <vector>

using common::other_processes_between;
using common::parse_process_stat;
using common::process_stat;

namespace {

// A /proc/PID/stat line with the fields the census reads set, the others as a kernel writes them
// (tpgid -1, priority and nice signed).
std::string stat_line(long pid, const std::string& comm, unsigned long flags, unsigned long utime,
                      unsigned long stime, long cutime, long cstime, unsigned long starttime, long rss)
{
    return std::to_string(pid) + " (" + comm + ") S 1 " + std::to_string(pid) + " " + std::to_string(pid) +
           " 0 -1 " + std::to_string(flags) + " 100 0 0 0 " + std::to_string(utime) + " " +
           std::to_string(stime) + " " + std::to_string(cutime) + " " + std::to_string(cstime) +
           " 20 -5 1 0 " + std::to_string(starttime) + " 3133440 " + std::to_string(rss) +
           " 18446744073709551615 93906674458624 0 0 0 0 0 0 17 1 0 0 0 0 0\n";
}

process_stat proc(pid_t pid, std::uint64_t start, std::uint64_t cpu, std::uint64_t reaped = 0,
                  const char* name = "p", bool kthread = false)
{
    process_stat p;
    p.pid = pid;
    p.name = name;
    p.start_ticks = start;
    p.cpu_ticks = cpu;
    p.reaped_ticks = reaped;
    p.kernel_thread = kthread;
    return p;
}

} // namespace

TEST_CASE("/proc/PID/stat: the fields a census reads", "[unit][common]")
{
    auto p = parse_process_stat(stat_line(2349, "cat", 4194304, 12, 3, 40, 2, 7322920, 382));
    REQUIRE(p);
    CHECK(p->pid == 2349);
    CHECK(p->name == "cat");
    CHECK(p->cpu_ticks == 15);
    CHECK(p->reaped_ticks == 42);
    CHECK(p->start_ticks == 7322920);
    CHECK(p->rss_pages == 382);
    CHECK_FALSE(p->kernel_thread);

    // The name ends at the last ')': it may hold spaces, parentheses and any byte.
    auto odd = parse_process_stat(stat_line(7, "a) (b c)", 0, 1, 1, 0, 0, 5, 1));
    REQUIRE(odd);
    CHECK(odd->name == "a) (b c)");
    CHECK(odd->cpu_ticks == 2);
    auto ctl = parse_process_stat(stat_line(8, std::string("x\x1b[2J\xff", 6), 0, 1, 1, 0, 0, 5, 1));
    REQUIRE(ctl);
    CHECK(ctl->name == "x?[2J?"); // printable ASCII only: it goes into JSON and onto terminals

    auto kworker = parse_process_stat(stat_line(30, "kworker/0:1-events", 0x04208060, 0, 9, 0, 0, 2, 0));
    REQUIRE(kworker);
    CHECK(kworker->kernel_thread);

    for (const std::string& bad :
         {std::string(), std::string("2349"), std::string("2349 (cat"), std::string("x (cat) S 1"),
          std::string("-3 (cat) S 1"),
          stat_line(1, "c", 0, 1, 1, 0, 0, 5, 1).substr(0, 40), // cut short before rss
          stat_line(1, "c", 0, 1, 1, -1, 0, 5, 1),              // cutime < 0
          std::string("1 (c) S 1 1 1 0 -1 0 100 0 0 0 1x 1 0 0 20 0 1 0 5 9 1\n")}) {
        INFO(bad);
        CHECK_FALSE(parse_process_stat(bad));
    }

    // This process's own.
    auto self = common::read_process_stat(getpid());
    REQUIRE(self);
    CHECK(self->pid == getpid());
    CHECK(self->rss_pages > 0);
    CHECK_FALSE(common::read_process_stat(0));
}

TEST_CASE("other processes' CPU between two censuses", "[unit][common]")
{
    // 100 ticks a second, 2 seconds apart: 200 ticks are one core.
    common::process_census before{proc(1, 5, 100),  proc(10, 50, 1000), proc(11, 60, 500, 20),
                                  proc(12, 70, 40), proc(13, 80, 300),  proc(14, 90, 7, 0, "kthread", true)};
    common::process_census after{
        proc(1, 5, 100),               // idle: not listed
        proc(10, 50, 1100, 0, "busy"), // +100 ticks: 50% of a core
        proc(11, 60, 520, 80, "make"), // +20 own, +60 from children it waited for: 40%
        // 12 ended in between: its time since the first census is not counted
        proc(13, 200, 30, 0, "reused"),        // pid 13 again, a new process: all of its 30 ticks
        proc(14, 90, 400, 0, "kthread", true), // a kernel thread: left out
        proc(15, 210, 10, 0, "new"),           // started in between: all of its 10 ticks
        proc(20, 300, 5000, 0, "bench"),       // excluded
    };
    std::vector<pid_t> excluded{20, 99};
    auto o = other_processes_between(before, after, excluded, 2.0, 100);
    REQUIRE(o);
    CHECK(o->cpu_percent == Approx(100.0 * (100 + 80 + 30 + 10) / 200));
    REQUIRE(o->busiest.size() == common::busiest_kept);
    CHECK(o->busiest[0].pid == 10);
    CHECK(o->busiest[0].name == "busy");
    CHECK(o->busiest[0].cpu_percent == Approx(50.0));
    CHECK(o->busiest[1].pid == 11);
    CHECK(o->busiest[1].cpu_percent == Approx(40.0));
    CHECK(o->busiest[2].pid == 13);
    CHECK(o->busiest[2].cpu_percent == Approx(15.0));

    // A counter that went back (a reading error) counts as nothing, not as negative work.
    auto back = other_processes_between({proc(10, 50, 1000)}, {proc(10, 50, 900)}, {}, 1.0, 100);
    REQUIRE(back);
    CHECK(back->cpu_percent == 0);
    CHECK(back->busiest.empty());

    // Equal shares: the lower pid first, so that the list does not depend on the sort's whims.
    auto tie = other_processes_between({proc(2, 1, 0), proc(3, 1, 0)}, {proc(2, 1, 10), proc(3, 1, 10)}, {},
                                       1.0, 100);
    REQUIRE(tie);
    CHECK(tie->busiest.at(0).pid == 2);

    CHECK_FALSE(other_processes_between(before, after, excluded, 0.0, 100)); // no time passed
    CHECK_FALSE(other_processes_between(before, after, excluded, 1.0, 0));
    CHECK_FALSE(other_processes_between({}, after, excluded, 1.0, 100)); // /proc could not be read
    CHECK_FALSE(other_processes_between(before, {}, excluded, 1.0, 100));

    // This machine's: the pids and the census list this process, in order.
    auto pids = common::list_pids();
    CHECK(std::find(pids.begin(), pids.end(), getpid()) != pids.end());
    CHECK(std::is_sorted(pids.begin(), pids.end()));
    auto census = common::take_process_census();
    REQUIRE_FALSE(census.empty());
    CHECK(std::any_of(census.begin(), census.end(), [](const auto& p) { return p.pid == getpid(); }));
    CHECK(std::is_sorted(census.begin(), census.end(),
                         [](const auto& a, const auto& b) { return a.pid < b.pid; }));
}
