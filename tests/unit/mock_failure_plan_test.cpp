// mock-llm failure plan: percentages, per-key rules, periodic stall.
#include "bench/mock/failure_plan.hpp"

#include <catch2/catch.hpp>
#include <map>

using namespace std::chrono_literals;
using mock::failure_kind;

TEST_CASE("failure kinds parse and print", "[unit]")
{
    for (auto s : {"500", "429", "503", "reset", "hang", "cut", "malformed", "none"}) {
        auto k = mock::parse_failure_kind(s);
        REQUIRE(k);
        CHECK(mock::to_string(*k) == s);
    }
    CHECK_FALSE(mock::parse_failure_kind("418"));
}

TEST_CASE("failure plan: no failures by default", "[unit]")
{
    mock::failure_plan plan({}, {}, 0, 0ns);
    std::mt19937_64 rng(1);
    for (int i = 1; i <= 1000; ++i) {
        auto d = plan.decide(static_cast<std::uint64_t>(i), "", rng);
        CHECK(d.fail == failure_kind::none);
        CHECK(d.stall == 0ns);
        CHECK_FALSE(d.latency);
    }
}

TEST_CASE("failure plan: percentages are honoured", "[unit]")
{
    mock::failure_rates rates;
    rates[failure_kind::http500] = 10;
    rates[failure_kind::http429] = 5;
    rates[failure_kind::reset] = 20;
    rates[failure_kind::malformed] = 1;
    mock::failure_plan plan(rates, {}, 0, 0ns);
    std::mt19937_64 rng(1234);
    std::map<failure_kind, int> seen;
    const int n = 200000;
    for (int i = 0; i < n; ++i)
        ++seen[plan.decide(0, "", rng).fail];
    auto pct = [&](failure_kind k) { return 100.0 * seen[k] / n; };
    CHECK(pct(failure_kind::http500) == Approx(10).margin(0.4));
    CHECK(pct(failure_kind::http429) == Approx(5).margin(0.3));
    CHECK(pct(failure_kind::reset) == Approx(20).margin(0.5));
    CHECK(pct(failure_kind::malformed) == Approx(1).margin(0.15));
    CHECK(pct(failure_kind::none) == Approx(64).margin(0.6));
    CHECK(seen[failure_kind::hang] == 0);
    CHECK(seen[failure_kind::http503] == 0);
}

TEST_CASE("failure plan: 100 percent always fails", "[unit]")
{
    mock::failure_rates rates;
    rates[failure_kind::http503] = 100;
    mock::failure_plan plan(rates, {}, 0, 0ns);
    std::mt19937_64 rng(3);
    for (int i = 0; i < 1000; ++i)
        CHECK(plan.decide(0, "", rng).fail == failure_kind::http503);
}

TEST_CASE("failure plan: key rules", "[unit]")
{
    auto r1 = mock::parse_key_rule("sk-limited=429");
    auto r2 = mock::parse_key_rule("sk-slow=latency:50ms");
    auto r3 = mock::parse_key_rule("sk-slow=503");
    REQUIRE(r1);
    REQUIRE(r2);
    REQUIRE(r3);
    CHECK_FALSE(mock::parse_key_rule("nokey"));
    CHECK_FALSE(mock::parse_key_rule("k="));
    CHECK_FALSE(mock::parse_key_rule("k=none"));
    CHECK_FALSE(mock::parse_key_rule("k=latency:soon"));
    CHECK(mock::parse_key_rule("a=b=reset")->key == "a=b"); // keys may contain '='

    mock::failure_rates rates;
    rates[failure_kind::http500] = 100; // key rules win over percentages
    mock::failure_plan plan(rates, {*r1, *r2, *r3}, 0, 0ns);
    std::mt19937_64 rng(1);
    CHECK(plan.decide(1, "sk-limited", rng).fail == failure_kind::http429);
    auto slow = plan.decide(2, "sk-slow", rng);
    CHECK(slow.fail == failure_kind::http503); // both rules of the key apply
    REQUIRE(slow.latency);
    CHECK(*slow.latency == 50ms);
    CHECK(plan.decide(3, "other", rng).fail == failure_kind::http500);
    CHECK(plan.decide(4, "", rng).fail == failure_kind::http500);

    mock::failure_plan latency_only({}, {*r2}, 0, 0ns);
    auto d = latency_only.decide(1, "sk-slow", rng);
    CHECK(d.fail == failure_kind::none);
    CHECK(*d.latency == 50ms);
}

TEST_CASE("failure plan: every Nth request stalls", "[unit]")
{
    mock::failure_plan plan({}, {}, 5, 300ms);
    std::mt19937_64 rng(1);
    int stalled = 0;
    for (std::uint64_t i = 1; i <= 20; ++i) {
        auto d = plan.decide(i, "", rng);
        CHECK((d.stall == 300ms) == (i % 5 == 0));
        stalled += d.stall > 0ns;
    }
    CHECK(stalled == 4);
}
