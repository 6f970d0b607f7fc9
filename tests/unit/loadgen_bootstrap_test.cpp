// Unit tests: the overhead estimate and its bootstrap interval over window pairs.
#include "bench/loadgen/overhead.hpp"

#include <catch2/catch.hpp>
#include <random>

using loadgen::bootstrap_overhead;
using loadgen::window_pair;

TEST_CASE("quantile interpolates linearly", "[unit][loadgen][bootstrap]")
{
    CHECK(loadgen::quantile({1, 2, 3, 4, 5}, 50) == Approx(3));
    CHECK(loadgen::quantile({1, 2}, 50) == Approx(1.5));
    CHECK(loadgen::quantile({5, 1, 3}, 0) == Approx(1));
    CHECK(loadgen::quantile({5, 1, 3}, 100) == Approx(5));
    CHECK(loadgen::quantile({}, 50) == 0);
}

TEST_CASE("a constant 1 ms overhead is found with a tight interval around it", "[unit][loadgen][bootstrap]")
{
    std::mt19937_64 rng(3);
    std::normal_distribution<double> noise(5e6, 0.5e6); // 5 ms +- 0.5 ms
    std::vector<common::histogram> proxy(20), direct(20);
    for (int w = 0; w < 20; ++w)
        for (int i = 0; i < 2000; ++i) {
            direct[w].record(static_cast<std::uint64_t>(noise(rng)));
            proxy[w].record(static_cast<std::uint64_t>(noise(rng) + 1e6));
        }
    std::vector<window_pair> pairs;
    for (int w = 0; w < 20; ++w)
        pairs.push_back({&proxy[w], &direct[w]});
    auto e = bootstrap_overhead(pairs, 1, 500);
    REQUIRE(e);
    CHECK(e->windows == 20);
    CHECK(e->smaller_side == 40'000);
    for (auto* i : {&e->p50, &e->p90, &e->mean}) {
        CHECK(i->value == Approx(1.0).margin(0.05));
        CHECK(i->ci_low <= i->value);
        CHECK(i->ci_high >= i->value);
        CHECK(i->ci_low > 0.9);
        CHECK(i->ci_high < 1.1);
    }
    CHECK(e->p99.ci_low <= e->p99.ci_high);
    // Same seed, same interval.
    auto again = bootstrap_overhead(pairs, 1, 500);
    CHECK(again->p99.ci_low == e->p99.ci_low);
    CHECK(again->p99.ci_high == e->p99.ci_high);
}

TEST_CASE("no overhead gives an interval around zero, and empty pairs are skipped",
          "[unit][loadgen][bootstrap]")
{
    std::mt19937_64 rng(9);
    std::exponential_distribution<double> lat(1.0 / 2e6);
    std::vector<common::histogram> a(10), b(10);
    for (int w = 0; w < 10; ++w)
        for (int i = 0; i < 3000; ++i) {
            a[w].record(static_cast<std::uint64_t>(lat(rng)) + 100'000);
            b[w].record(static_cast<std::uint64_t>(lat(rng)) + 100'000);
        }
    common::histogram empty;
    std::vector<window_pair> pairs{{&empty, &b[0]}};
    for (int w = 0; w < 10; ++w)
        pairs.push_back({&a[w], &b[w]});
    auto e = bootstrap_overhead(pairs, 5, 400);
    REQUIRE(e);
    CHECK(e->windows == 10);
    CHECK(e->smaller_side == 30'000); // the pair with an empty side is not counted
    CHECK(e->p50.ci_low < 0.0);
    CHECK(e->p50.ci_high > 0.0);
    CHECK_FALSE(bootstrap_overhead({{&empty, &empty}}, 1));
}

TEST_CASE("tail_samples counts the samples beyond a percentile, rounded down", "[unit][loadgen][bootstrap]")
{
    using loadgen::tail_samples;
    CHECK(tail_samples(123, 10) == 1); // p99 of 123
    CHECK(tail_samples(123, 1) == 0);  // p99.9 of 123: its slowest
    CHECK(tail_samples(999, 10) == 9);
    CHECK(tail_samples(1000, 10) == 10);
    CHECK(tail_samples(9999, 1) == 9);
    CHECK(tail_samples(10000, 1) == 10);
    CHECK(tail_samples(0, 500) == 0);
    CHECK(tail_samples(UINT64_MAX, 500) == UINT64_MAX / 2); // no overflow
}
