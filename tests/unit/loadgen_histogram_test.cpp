// Unit tests: the log-linear histogram (accuracy, merge, exact JSON round trip).
#include "common/histogram.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <nlohmann/json.hpp>
#include <random>

using common::histogram;

namespace {

double exact_percentile(std::vector<std::uint64_t> v, double q)
{
    std::sort(v.begin(), v.end());
    auto rank = static_cast<std::size_t>(std::ceil(q / 100.0 * static_cast<double>(v.size())));
    return static_cast<double>(v[std::clamp<std::size_t>(rank, 1, v.size()) - 1]);
}

} // namespace

TEST_CASE("every value from 1 us to 100 s lands within 1% of itself", "[unit][loadgen][histogram]")
{
    for (double v = 1000; v <= 100e9; v *= 1.0137) {
        auto x = static_cast<std::uint64_t>(v);
        auto i = histogram::index_of(x);
        REQUIRE(histogram::bucket_low(i) <= x);
        REQUIRE(histogram::bucket_high(i) > x);
        double width = static_cast<double>(histogram::bucket_high(i) - histogram::bucket_low(i));
        REQUIRE(width / static_cast<double>(x) <= 0.002); // 0.2%: well inside the 1% goal
    }
}

TEST_CASE("percentiles of random latencies are within 1% of the exact ones", "[unit][loadgen][histogram]")
{
    std::mt19937_64 rng(42);
    std::lognormal_distribution<double> dist(std::log(2e6), 2.0); // around 2 ms, wide tail
    std::vector<std::uint64_t> values;
    histogram h;
    for (int i = 0; i < 100'000; ++i) {
        auto v = std::clamp<std::uint64_t>(static_cast<std::uint64_t>(dist(rng)), 1000, 100'000'000'000);
        values.push_back(v);
        h.record(v);
    }
    for (double q : {1.0, 10.0, 50.0, 90.0, 99.0, 99.9, 99.99}) {
        double exact = exact_percentile(values, q);
        CAPTURE(q, exact, h.percentile_ns(q));
        CHECK(std::abs(h.percentile_ns(q) - exact) / exact <= 0.01);
    }
    CHECK(h.percentile_ns(0) == static_cast<double>(*std::min_element(values.begin(), values.end())));
    CHECK(h.percentile_ns(100) == static_cast<double>(*std::max_element(values.begin(), values.end())));
    CHECK(h.count() == values.size());
}

TEST_CASE("merging equals recording everything in one histogram", "[unit][loadgen][histogram]")
{
    std::mt19937_64 rng(7);
    std::uniform_int_distribution<std::uint64_t> dist(1, 5'000'000'000);
    histogram all, a, b;
    for (int i = 0; i < 20'000; ++i) {
        auto v = dist(rng);
        all.record(v);
        (i % 3 ? a : b).record(v);
    }
    histogram m = a;
    m.merge(b);
    CHECK(m == all);
    histogram empty;
    empty.merge(all);
    CHECK(empty == all);
}

TEST_CASE("JSON round trip is exact and bad encodings are rejected", "[unit][loadgen][histogram]")
{
    histogram h;
    for (std::uint64_t v : {1ull, 255ull, 256ull, 70'000ull, 1'234'567ull, 99'000'000'000ull})
        h.record(v, 3);
    std::string error;
    auto back = histogram::from_json(nlohmann::json::parse(h.to_json().dump()), error);
    REQUIRE(back);
    CHECK(*back == h);

    auto j = h.to_json();
    j["total"] = std::uint64_t{1}; // unsigned, as parsed text gives it: the sum check refuses it
    CHECK_FALSE(histogram::from_json(j, error));
    CHECK(error.find("add up to total") != std::string::npos);
    j = h.to_json();
    j["sub_bucket_bits"] = 5;
    CHECK_FALSE(histogram::from_json(j, error));
    j = h.to_json();
    j["buckets"].push_back({999999, 1});
    CHECK_FALSE(histogram::from_json(j, error));
    CHECK_FALSE(histogram::from_json(nlohmann::json::array(), error));
}

TEST_CASE("JSON: numbers of the wrong kind and min/max that contradict the buckets are rejected",
          "[unit][loadgen][histogram]")
{
    // Found by tests/fuzz (histogram_json): a float total was converted with undefined behaviour,
    // and a min above max reached std::clamp in percentile_ns.
    histogram h;
    for (std::uint64_t v : {5'000ull, 6'000ull, 90'000ull})
        h.record(v);
    std::string error;
    auto broken = [&](const char* key, nlohmann::json value, std::string_view why = {}) {
        auto j = h.to_json();
        j[key] = std::move(value);
        error.clear();
        bool refused = !histogram::from_json(j, error);
        INFO(key << " = " << j[key].dump() << ": " << error);
        CHECK(refused);
        CHECK_FALSE(error.empty());
        CHECK(error.find(why) != std::string::npos);
    };
    broken("total", 3.0);
    broken("total", 1.3e105);
    broken("min", -5);
    broken("max", "90000");
    broken("sum", nullptr);
    broken("buckets", nlohmann::json::object());
    // Unsigned, as parsed text gives them, so that the bucket check is what refuses them (a
    // signed int is refused earlier, by the type check).
    const std::string_view outside = "outside the lowest or highest non-empty bucket";
    broken("min", std::uint64_t{90'000}, outside);        // above the lowest bucket (and above max)
    broken("max", std::uint64_t{5'000}, outside);         // below the highest bucket
    broken("min", std::uint64_t{4'000}, outside);         // below the lowest bucket
    broken("max", std::uint64_t{1'000'000'000}, outside); // above the highest bucket
    broken("min", 90'000, "not a non-negative integer");  // a signed int, as code (not text) builds it
    auto j = h.to_json();
    j["buckets"] =
        nlohmann::json::array({{std::uint64_t{100}, UINT64_MAX}, {std::uint64_t{200}, std::uint64_t{4}}});
    j["total"] = std::uint64_t{3};
    CHECK_FALSE(histogram::from_json(j, error)); // counts that wrap around to the total
    CHECK(error.find("overflow") != std::string::npos);

    auto empty = histogram{}.to_json();
    REQUIRE(histogram::from_json(empty, error));
    empty["max"] = std::uint64_t{7};
    CHECK_FALSE(histogram::from_json(empty, error));
    CHECK(error.find("empty histogram") != std::string::npos);

    // A value over the trackable range stays exact in max, in the last bucket: still accepted.
    histogram big;
    big.record(std::uint64_t{1} << 50);
    big.record(1'000);
    auto back = histogram::from_json(big.to_json(), error);
    REQUIRE(back);
    CHECK(*back == big);
}

TEST_CASE("values over the range are clamped, max stays exact", "[unit][loadgen][histogram]")
{
    histogram h;
    h.record(std::uint64_t{1} << 50);
    CHECK(h.max_ns() == std::uint64_t{1} << 50);
    CHECK(h.count() == 1);
    CHECK(histogram::index_of(std::uint64_t{1} << 50) == histogram::bucket_count() - 1);
}
