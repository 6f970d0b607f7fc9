// Unit tests: /proc/stat's aggregate line, and the machine's busy and stolen shares between two
// readings.
#include "common/machine_load.hpp"

#include <catch2/catch.hpp>

using common::machine_load_between;
using common::parse_cpu_times;

TEST_CASE("the aggregate cpu line of /proc/stat is read field by field", "[unit][common]")
{
    auto t = parse_cpu_times("cpu  4346190 4530 993308 5454784 38992 0 115703 69348 0 0\n"
                             "cpu0 1740697 1796 505363 3157975 9017 0 64685 33671 0 0\n");
    REQUIRE(t.ok);
    CHECK(t.total == 4346190 + 4530 + 993308 + 5454784 + 38992 + 0 + 115703 + 69348); // guest is in user
    CHECK(t.idle == 5454784 + 38992);
    CHECK(t.steal == 69348);
    auto old = parse_cpu_times("cpu 10 0 5 85"); // a kernel without iowait, irq, softirq, steal
    REQUIRE(old.ok);
    CHECK(old.total == 100);
    CHECK(old.steal == 0);
    for (const char* bad : {"", "cpu0 1 2 3 4", "cpu 1 2 3", "cpu 1 2 x 4", "intr 1 2 3 4", "cpu 1 2 3 -4",
                            "cpu 99999999999999999999999 1 2 3"})
        CHECK_FALSE(parse_cpu_times(bad).ok);
    CHECK(common::read_cpu_times().ok); // this machine's own
}

TEST_CASE("busy and stolen shares between two readings", "[unit][common]")
{
    common::cpu_times a{1000, 600, 10, true}, b{2000, 1100, 60, true};
    auto m = machine_load_between(a, b, 2);
    REQUIRE(m);
    CHECK(m->cpus == 2);
    CHECK(m->busy_percent == Approx(45.0)); // 1000 ticks: 500 idle, 50 stolen
    CHECK(m->steal_percent == Approx(5.0));
    CHECK_FALSE(machine_load_between(a, a, 2));                     // no time passed
    CHECK_FALSE(machine_load_between(b, a, 2));                     // counters went back
    CHECK_FALSE(machine_load_between(a, {2000, 500, 60, true}, 2)); // idle went back
    CHECK_FALSE(machine_load_between({}, b, 2));                    // a reading failed
}
