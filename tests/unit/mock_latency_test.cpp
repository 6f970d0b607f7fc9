// mock-llm latency model: fixed + jitter bounds, and sampled percentiles of a distribution.
#include "bench/mock/latency_model.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <vector>

using namespace std::chrono_literals;
using ns = std::chrono::nanoseconds;

namespace {

std::vector<ns> draw(const mock::latency_model& m, std::size_t n, std::uint64_t seed)
{
    std::mt19937_64 rng(seed);
    std::vector<ns> v;
    for (std::size_t i = 0; i < n; ++i)
        v.push_back(m.sample(rng));
    std::sort(v.begin(), v.end());
    return v;
}

double ms(ns d)
{
    return static_cast<double>(d.count()) / 1e6;
}

} // namespace

TEST_CASE("latency: zero and fixed", "[unit]")
{
    mock::latency_model zero(mock::latency_spec{});
    CHECK(zero.is_zero());
    std::mt19937_64 rng(1);
    CHECK(zero.sample(rng) == 0ns);
    mock::latency_model fixed(mock::latency_spec{25ms, 0ns, std::nullopt});
    CHECK_FALSE(fixed.is_zero());
    CHECK(fixed.sample(rng) == 25ms);
}

TEST_CASE("latency: fixed plus jitter stays from fixed up to below fixed + jitter, with a uniform mean",
          "[unit]")
{
    mock::latency_model m(mock::latency_spec{10ms, 4ms, std::nullopt});
    auto v = draw(m, 20000, 7);
    CHECK(v.front() >= 10ms);
    CHECK(v.back() < 14ms);
    double sum = 0;
    for (auto d : v)
        sum += ms(d);
    CHECK(sum / static_cast<double>(v.size()) == Approx(12.0).margin(0.1));
}

TEST_CASE("latency: the distribution reproduces its percentiles", "[unit]")
{
    mock::latency_model m(mock::latency_spec{0ns, 0ns, mock::latency_percentiles{20ms, 50ms, 200ms}});
    auto v = draw(m, 100000, 42);
    auto q = [&](double p) { return ms(v[static_cast<std::size_t>(p * static_cast<double>(v.size() - 1))]); };
    CHECK(q(0.50) == Approx(20).epsilon(0.03));
    CHECK(q(0.90) == Approx(50).epsilon(0.03));
    CHECK(q(0.99) == Approx(200).epsilon(0.05));
    CHECK(v.front() >= 0ns);
    CHECK(ms(v.back()) <= 350.0 + 1e-6); // p99 + (p99 - p90)
    // The same seed gives the same sequence.
    CHECK(draw(m, 100, 5) == draw(m, 100, 5));
    CHECK(draw(m, 100, 5) != draw(m, 100, 6));
}

TEST_CASE("latency: parse p50:p90:p99", "[unit]")
{
    auto d = mock::parse_latency_dist("5:10ms:1s");
    REQUIRE(d);
    CHECK(d->p50 == 5ms);
    CHECK(d->p90 == 10ms);
    CHECK(d->p99 == 1s);
    CHECK_FALSE(mock::parse_latency_dist(""));
    CHECK_FALSE(mock::parse_latency_dist("1:2:3:4"));
    CHECK_FALSE(mock::parse_latency_dist("3:2:1"));
    CHECK_FALSE(mock::parse_latency_dist("a:b:c"));
}
