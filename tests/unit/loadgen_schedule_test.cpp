// Unit tests: bench's open-loop schedule.
#include "bench/loadgen/schedule.hpp"

#include <catch2/catch.hpp>

using namespace std::chrono_literals;
using loadgen::schedule;

TEST_CASE("request i is due at i/rate", "[unit][loadgen][schedule]")
{
    schedule s(1000);
    CHECK(s.due(0) == 0ns);
    CHECK(s.due(1) == 1ms);
    CHECK(s.due(1500) == 1500ms);
    schedule odd(3);
    CHECK(odd.due(1) == std::chrono::nanoseconds(333'333'333));
    CHECK(odd.due(3) == 1s);
}

TEST_CASE("count_before is the number of requests due before t", "[unit][loadgen][schedule]")
{
    schedule s(1000);
    CHECK(s.count_before(0ns) == 0);
    CHECK(s.count_before(1ns) == 1);
    CHECK(s.count_before(1ms) == 1);
    CHECK(s.count_before(1ms + 1ns) == 2);
    CHECK(s.count_before(2s) == 2000);
    schedule fractional(2.5);
    CHECK(fractional.count_before(2s) == 5);
    for (std::uint64_t i = 0; i < 50; ++i) {
        CHECK(fractional.count_before(fractional.due(i)) == i);
        CHECK(fractional.count_before(fractional.due(i) + 1ns) == i + 1);
    }
}

TEST_CASE("ramp-up climbs linearly to the rate, then holds it", "[unit][loadgen][schedule]")
{
    schedule s(100, 10s);
    // Over the ramp the average rate is half the target: 500 requests in 10 s.
    CHECK(s.count_before(10s) == 500);
    // n(t) = rate t^2 / (2R): 125 requests in the first 5 s.
    CHECK(s.count_before(5s) == 125);
    // After the ramp, one request every 10 ms.
    CHECK(s.due(500) == 10s);
    CHECK(s.due(600) == 11s);
    // Due times never go backwards.
    for (std::uint64_t i = 1; i < 1000; ++i)
        REQUIRE(s.due(i) >= s.due(i - 1));
}
