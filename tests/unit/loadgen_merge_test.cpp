// Unit tests: per-side rates in overhead mode, the error-response latency, the compact histogram
// encoding, and `bench merge` recomputing every histogram-derived figure (overhead included)
// exactly as one run holding all the requests would have.
#include "bench/loadgen/histogram_codec.hpp"
#include "bench/loadgen/merge.hpp"
#include "bench/loadgen/report.hpp"
#include "bench/loadgen/result_blocks.hpp"
#include "bench/loadgen/result_notes.hpp"
#include "bench/loadgen/result_summary.hpp"
#include "bench/loadgen/result_table.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <random>

using nlohmann::json;
using namespace std::chrono_literals;

namespace {

// An overhead-mode run of `windows` windows of 1 s at `rate` req/s: the proxy adds 1 ms, every
// 10th request of the proxy gets a 502 after 0.3 ms, streams have 4 events 5 ms apart.
loadgen::run_summary synthetic(const loadgen::config& c, std::uint32_t windows, int rate,
                               std::uint64_t jitter_seed)
{
    loadgen::run_summary s;
    s.key = "bifrost";
    s.cfg = &c;
    s.proxied = true;
    s.targets.resize(2);
    s.targets[0].url = "http://127.0.0.1:3001/v1/chat/completions";
    s.targets[1].url = "http://127.0.0.1:3039/v1/chat/completions";
    s.out.measured_s = windows;
    std::mt19937_64 rng(jitter_seed);
    std::uniform_int_distribution<int> jitter(0, 400);
    auto start = loadgen::clock::now();
    for (std::uint32_t w = 0; w < windows; ++w) {
        std::size_t t = loadgen::window_target(w, 2, c.seed);
        for (int i = 0; i < rate; ++i) {
            loadgen::exchange_result r;
            auto due = start + std::chrono::microseconds(w * 1'000'000LL + i * 1'000'000LL / rate);
            bool fail = t == 0 && i % 10 == 9;
            r.status = fail ? 502 : 200;
            r.sent_at = due;
            r.done_at =
                due + (fail ? 300us : std::chrono::microseconds(2000 + jitter(rng) + (t == 0 ? 1000 : 0)));
            if (c.stream && !fail) {
                r.events = 4;
                r.first_event_at = due + (r.done_at - due) / 2;
                s.out.rec.target(t).gap.record(5'000'000, 3);
            }
            s.out.rec.record(t, r, due, start, w);
        }
    }
    return s;
}

// An overhead-mode entry of `windows` windows at `rate` req/s, as bench builds it.
json entry_at(int rate, std::uint32_t windows, std::uint64_t jitter_seed)
{
    loadgen::config c;
    c.rate = rate;
    return loadgen::build_entry(synthetic(c, windows, rate, jitter_seed));
}

json entry_at_40(std::uint32_t windows, std::uint64_t jitter_seed)
{
    return entry_at(40, windows, jitter_seed);
}

// Enough requests that no percentile rests on too few (over 10,000 successes a side from five
// windows of the proxy, which fails one request in ten): the notes about other things alone.
json steady_entry(std::uint32_t windows, std::uint64_t jitter_seed)
{
    return entry_at(2500, windows, jitter_seed);
}

// A baseline block of `n` sequential successes taking `ms` milliseconds each.
json baseline_of(std::uint64_t n, double ms)
{
    common::histogram h;
    h.record(static_cast<std::uint64_t>(ms * 1e6), n);
    return loadgen::baseline_json(n, h);
}

} // namespace

TEST_CASE("target_seconds counts each side's windows inside the measured phase", "[unit][loadgen][results]")
{
    using loadgen::target_seconds;
    CHECK(target_seconds(0s, 5s, 1s, 0, 1, 1) == Approx(5.0));
    // Five windows of 1 s: one side gets three, the other two, and together all five.
    double a = target_seconds(0s, 5s, 1s, 0, 2, 1), b = target_seconds(0s, 5s, 1s, 1, 2, 1);
    CHECK(a + b == Approx(5.0));
    CHECK(std::max(a, b) == Approx(3.0));
    // Partial windows at both ends (a warm-up of 0.25 s, 250 ms windows).
    double c = target_seconds(250ms, 1250ms, 250ms, 0, 2, 7),
           d = target_seconds(250ms, 1250ms, 250ms, 1, 2, 7);
    CHECK(c + d == Approx(1.0));
    CHECK(target_seconds(100ms, 350ms, 250ms, loadgen::window_target(0, 2, 7), 2, 7) == Approx(0.15));
}

TEST_CASE("overhead mode: each side's rates are over its own windows", "[unit][loadgen][results]")
{
    // Five 1 s windows at 50 req/s: one side had three windows, the other two. Dividing by half
    // the run (2.5 s) would show 60 and 40 req/s; each side was offered 50 req/s.
    loadgen::config c;
    c.rate = 50;
    auto e = loadgen::build_entry(synthetic(c, 5, 50, 1));
    REQUIRE(e["direct"].is_object());
    CHECK(e["measured_s"].get<double>() + e["direct"]["measured_s"].get<double>() == Approx(5.0));
    CHECK(e["achieved_rate"].get<double>() == Approx(50).epsilon(0.01));
    CHECK(e["direct"]["achieved_rate"].get<double>() == Approx(50).epsilon(0.01));
    CHECK(e["direct"]["throughput_rps"].get<double>() == Approx(50).epsilon(0.01));
    CHECK(e["throughput_rps"].get<double>() == Approx(45).epsilon(0.01)); // 10% are 502s
    for (const auto* side : {&e, &e["direct"]})
        for (const auto& sec : (*side)["timeline"])
            if (sec["rps"].get<double>() > 0)
                CHECK(sec["rps"].get<double>() >= 45.0);
    CHECK(e["format_version"] == 2);
    CHECK(e["config"]["late_threshold_ms"] == 1.0);
}

TEST_CASE("non-2xx responses are timed apart from the successes", "[unit][loadgen][results]")
{
    loadgen::config c;
    c.rate = 50;
    auto e = loadgen::build_entry(synthetic(c, 4, 50, 1));
    REQUIRE(e["error_latency"].is_object());
    CHECK(e["error_latency"]["count"] == e["status_code_counts"]["502"]);
    CHECK(e["error_latency"]["p50_ms"].get<double>() == Approx(0.3).margin(0.01));
    CHECK(e["error_latency"]["max_ms"].get<double>() == Approx(0.3).margin(0.01));
    CHECK(e["min_latency_ms"].get<double>() >= 3.0); // the fast 502s are not in the main figures
    CHECK(e["direct"]["error_latency"].is_null());
    auto table = loadgen::format_table("bifrost", e);
    CHECK(table.find("non-2xx: 10 responses") != std::string::npos);
}

TEST_CASE("compact histograms round-trip exactly and reject garbage", "[unit][loadgen][results]")
{
    std::mt19937_64 rng(5);
    std::lognormal_distribution<double> d(14, 1.5);
    common::histogram h;
    for (int i = 0; i < 5000; ++i)
        h.record(static_cast<std::uint64_t>(d(rng)));
    h.record(std::uint64_t{1} << 41); // clamped into the top bucket
    std::string error;
    auto j = loadgen::to_compact_json(h);
    auto back = loadgen::from_compact_json(j, error);
    REQUIRE(back);
    CHECK(*back == h);
    CHECK(j.dump().size() * 4 < h.to_json().dump(2).size()); // the point of it
    auto empty = loadgen::from_compact_json(loadgen::to_compact_json(common::histogram{}), error);
    REQUIRE(empty);
    CHECK(empty->count() == 0);
    for (auto deltas : {"12,x", "12;3", "1x", "99999999", "a"}) {
        auto broken = j;
        broken["deltas"] = deltas;
        CHECK_FALSE(loadgen::from_compact_json(broken, error));
    }
    auto wrong_total = j;
    wrong_total["total"] = 1;
    CHECK_FALSE(loadgen::from_compact_json(wrong_total, error));
}

TEST_CASE("merge recomputes overhead, stream and error figures from the combined data",
          "[unit][loadgen][results]")
{
    loadgen::config c;
    c.rate = 40;
    c.stream = true;
    auto ra = synthetic(c, 6, 40, 1), rb = synthetic(c, 4, 40, 2);
    auto a = loadgen::build_entry(ra), b = loadgen::build_entry(rb);
    std::string error;
    auto m = loadgen::merge_results({json{{"bifrost", a}}, json{{"bifrost", b}}}, error);
    REQUIRE(m);
    const auto& e = (*m)["bifrost"];

    // What one run holding both runs' requests would report.
    loadgen::run_summary both = synthetic(c, 6, 40, 1);
    both.out.rec.merge(rb.out.rec);
    // rb's windows 0..3 collide with ra's in the recorder; rebuild the pairs as merge sees them.
    std::vector<loadgen::window_pair_data> pairs;
    for (const auto* run : {&ra, &rb})
        for (const auto& [k, w] : run->out.rec.target(0).windows)
            if (auto it = run->out.rec.target(1).windows.find(k % 2 ? k - 1 : k + 1);
                it != run->out.rec.target(1).windows.end())
                pairs.push_back({w.latency, it->second.latency, w.ttft, it->second.ttft});
    auto expected = loadgen::overhead_from_pairs(pairs, c.seed, true);

    REQUIRE(e["overhead"].is_object());
    CHECK(e["overhead"] == expected);
    CHECK(e["overhead"]["windows"] == 5);
    CHECK(e["overhead"]["p50_ms"]["value"].get<double>() == Approx(1.0).margin(0.05));
    REQUIRE(e["overhead"]["ttft_ms"].is_object());
    CHECK(e["windows"]["pairs"].size() == 5);
    // Every window is paired here, so the point estimates are exactly the difference of the
    // merged sides' percentiles.
    const auto& direct_all = both.out.rec.target(1).latency;
    common::histogram pooled_p, pooled_d;
    for (const auto& p : pairs) {
        pooled_p.merge(p.proxy_latency);
        pooled_d.merge(p.direct_latency);
    }
    CHECK(pooled_p == both.out.rec.target(0).latency);
    CHECK(pooled_d == direct_all);

    for (auto [key, q] : {std::pair{"p50_ms", 50.0}, {"p90_ms", 90.0}, {"p99_ms", 99.0}, {"p999_ms", 99.9}}) {
        INFO(key << " " << both.out.rec.target(0).latency.percentile_ns(q) << " "
                 << direct_all.percentile_ns(q));
        CHECK(e["overhead"][key]["value"] ==
              loadgen::round3(
                  (both.out.rec.target(0).latency.percentile_ns(q) - direct_all.percentile_ns(q)) / 1e6));
    }
    REQUIRE(e["overhead"]["ttft_ms"].is_object());
    CHECK(e["windows"]["pairs"].size() == 5);
    // Every window is paired here, so the point estimates are the merged sides' difference.
    for (auto [o, q] :
         {std::pair{"p50_ms", "p50_latency_ms"}, {"p90_ms", "p90_latency_ms"}, {"p99_ms", "p99_latency_ms"}})
        CHECK(e["overhead"][o]["value"].get<double>() ==
              Approx(e[q].get<double>() - e["direct"][q].get<double>()).margin(0.0015));

    const auto& all = both.out.rec.target(0);
    CHECK(e["histogram"] == all.latency.to_json());
    CHECK(e["p99_latency_ms"].get<double>() == Approx(all.latency.percentile_ns(99) / 1e6).margin(0.001));
    REQUIRE(e["stream"].is_object());
    CHECK(e["stream"]["ttft_ms"] == loadgen::quick_stats(all.ttft));
    CHECK(e["stream"]["gap_ms"] == loadgen::quick_stats(all.gap));
    CHECK(e["stream"]["total_ms"] == loadgen::quick_stats(all.latency));
    CHECK(e["stream"]["chunks"] == all.events);
    CHECK(e["service_time_ms"] == loadgen::quick_stats(all.service));
    CHECK(e["error_latency"] == loadgen::error_latency_json(all.error_latency));
    CHECK(e["direct"]["stream"]["ttft_ms"] == loadgen::quick_stats(both.out.rec.target(1).ttft));

    // The timeline: per second, the percentiles of the union of both runs' requests of that second.
    const auto& seconds = all.seconds;
    REQUIRE(e["timeline"].size() == seconds.size());
    std::size_t compared = 0;
    for (std::size_t i = 0; i < seconds.size(); ++i) {
        const auto& sec = e["timeline"][i];
        INFO("second " << i);
        CHECK(sec["t_s"] == i);
        REQUIRE(sec["latency"].is_object());
        std::string codec_error;
        auto h = loadgen::from_compact_json(sec["latency"], codec_error);
        REQUIRE(h);
        CHECK(*h == seconds[i].latency);
        CHECK(sec["p50_ms"] == loadgen::round3(seconds[i].latency.percentile_ns(50) / 1e6));
        CHECK(sec["p99_ms"] == loadgen::round3(seconds[i].latency.percentile_ns(99) / 1e6));
        compared += seconds[i].latency.count() > 0;
    }
    CHECK(compared >= 3);

    // Merging the merge with a third run keeps going.
    auto again = loadgen::merge_results({*m, json{{"bifrost", a}}}, error);
    REQUIRE(again);
    CHECK((*again)["bifrost"]["overhead"]["windows"] == 8);
    CHECK((*again)["bifrost"]["merged_from"] == 3);
}

TEST_CASE("merge rejects mixed format versions and marks what format 1 cannot give",
          "[unit][loadgen][results]")
{
    loadgen::config c;
    c.rate = 40;
    auto a = loadgen::build_entry(synthetic(c, 4, 40, 1));
    auto old = a;
    old["format_version"] = 1;
    std::string error;
    CHECK_FALSE(loadgen::merge_results({json{{"bifrost", a}}, json{{"bifrost", old}}}, error));
    CHECK(error.find("format_version") != std::string::npos);
    CHECK_FALSE(loadgen::merge_results({json{{"bifrost", a}}, json{{"portkey", old}}}, error));

    // Two format-1 files (no stored windows or side histograms): the overhead is absent, with a note.
    for (auto k : {"windows", "histograms"})
        old.erase(k);
    old["direct"].erase("histograms");
    auto m = loadgen::merge_results({json{{"bifrost", old}}, json{{"bifrost", old}}}, error);
    REQUIRE(m);
    CHECK((*m)["bifrost"]["overhead"].is_null());
    CHECK((*m)["bifrost"]["overhead_note"].get<std::string>().find("per-window") != std::string::npos);
    CHECK((*m)["bifrost"]["requests"] == 2 * a["requests"].get<int>());

    // Timelines without per-second histograms (written before they were stored) keep the worse
    // percentile of the two and say that it is only a bound.
    auto no_hist = a;
    for (auto& sec : no_hist["timeline"])
        sec.erase("latency");
    auto slower = no_hist;
    for (auto& sec : slower["timeline"])
        sec["p99_ms"] = sec["p99_ms"].get<double>() + 5.0;
    auto mixed = loadgen::merge_results({json{{"bifrost", no_hist}}, json{{"bifrost", slower}}}, error);
    REQUIRE(mixed);
    for (std::size_t i = 0; i < a["timeline"].size(); ++i) {
        const auto& sec = (*mixed)["bifrost"]["timeline"][i];
        CHECK(sec["latency"].is_null());
        CHECK(sec["p99_ms"] == slower["timeline"][i]["p99_ms"]);
        CHECK(sec["rps"].get<double>() == Approx(2 * a["timeline"][i]["rps"].get<double>()).margin(0.002));
    }
    // A per-second histogram that does not decode is an error, not a silent bound.
    auto broken = a;
    broken["timeline"][0]["latency"]["deltas"] = "x";
    CHECK_FALSE(loadgen::merge_results({json{{"bifrost", a}}, json{{"bifrost", broken}}}, error));
    CHECK(error.find("timeline second 0") != std::string::npos);
}

TEST_CASE("merge refuses counts that are not non-negative integers, with the field's name, never a crash",
          "[unit][loadgen][results]")
{
    // A string count threw out of bench merge (abort); -3.5 was converted with undefined
    // behaviour into a wrong total.
    loadgen::config c;
    c.rate = 40;
    auto a = loadgen::build_entry(synthetic(c, 4, 40, 1));
    std::string error;
    auto refused = [&](json broken, const std::string& field) {
        error.clear();
        bool merged =
            loadgen::merge_results({json{{"bifrost", a}}, json{{"bifrost", std::move(broken)}}}, error)
                .has_value();
        INFO(error);
        CHECK_FALSE(merged);
        CHECK(error.find("'bifrost'") != std::string::npos);
        CHECK(error.find(field) != std::string::npos);
    };
    auto b = a;
    b["status_code_counts"] = {{"200", "many"}};
    refused(b, "\"200\"");
    b = a;
    b["succeeded"] = -3.5;
    refused(b, "\"succeeded\"");
    b = a;
    b["requests"] = 1e300;
    refused(b, "\"requests\"");
    b = a;
    b["format_version"] = "2";
    refused(b, "\"format_version\"");
    b = a;
    b["timestamp"] = 5; // a type nlohmann itself refuses: reported, not thrown
    refused(b, "type");
    REQUIRE(loadgen::merge_results({json{{"bifrost", a}}, json{{"bifrost", a}}}, error));
}

TEST_CASE("merge takes an entry without its optional blocks as empty ones", "[unit][loadgen][results]")
{
    // The second file's missing blocks were read with nlohmann's const operator[], undefined
    // behaviour for a missing key (a hand-edited file, or one from another tool).
    loadgen::config c;
    c.rate = 40;
    auto a = loadgen::build_entry(synthetic(c, 4, 40, 1));
    auto b = a;
    for (const char* k : {"status_code_counts", "drop_reasons", "timeline", "direct", "direct_histogram"})
        b.erase(k);
    std::string error;
    auto m = loadgen::merge_results({json{{"bifrost", a}}, json{{"bifrost", b}}}, error);
    INFO(error);
    REQUIRE(m);
    const auto& e = (*m)["bifrost"];
    CHECK(e["requests"] == 2 * a["requests"].get<std::uint64_t>());
    CHECK(e["status_code_counts"] == a["status_code_counts"]); // the other side counted none
    CHECK(e["timeline"].size() == a["timeline"].size());
    CHECK(e["direct"].is_null()); // a side without direct: no direct block, no overhead
}

TEST_CASE("merge reads the timeline seconds only one input has", "[unit][loadgen][results]")
{
    // A second only one side had was copied unread, so a malformed one passed into the merged
    // file, which then failed to merge again (found by the results_merge fuzz target).
    loadgen::config c;
    c.rate = 40;
    auto a = loadgen::build_entry(synthetic(c, 4, 40, 1));
    REQUIRE(a["timeline"].is_array());
    REQUIRE(!a["timeline"].empty());
    auto b = a;
    for (auto& second : b["timeline"])
        second["t_s"] = second["t_s"].get<std::uint64_t>() + 1000; // no second in common
    std::string error;
    REQUIRE(loadgen::merge_results({json{{"bifrost", a}}, json{{"bifrost", b}}}, error));
    REQUIRE(b["timeline"][0]["latency"].is_object());
    b["timeline"][0]["latency"]["min"] = 1u << 30; // above the highest non-empty bucket
    CHECK_FALSE(loadgen::merge_results({json{{"bifrost", a}}, json{{"bifrost", b}}}, error));
    CHECK(error.find("timeline second 1000") != std::string::npos);
}

TEST_CASE("merge reads what only one side has so that a merged entry merges again",
          "[unit][loadgen][results]")
{
    // Fields only the first input had were copied unread: the merge succeeded and its own output
    // was then refused by the next merge (found by the results_merge fuzz target in CI).
    auto a = entry_at_40(4, 1);
    auto b = entry_at_40(4, 2);
    for (auto& second : b["timeline"])
        second["t_s"] = second["t_s"].get<std::uint64_t>() + 1000; // no second in common
    std::string error;
    auto merge = [&](const json& x, const json& y) {
        error.clear();
        return loadgen::merge_results({json{{"bifrost", x}}, json{{"bifrost", y}}}, error);
    };
    auto refused = [&](const json& broken, const std::string& why) {
        auto m = merge(broken, b);
        INFO(why << ": " << error);
        CHECK_FALSE(m);
        CHECK(error.find(why) != std::string::npos);
    };
    auto broken = a;
    broken["status_code_counts"]["299"] = "many"; // a status the other side never saw
    refused(broken, "\"299\"");
    broken = a;
    broken["direct"]["drop_reasons"]["queue_full"] = -1;
    refused(broken, "\"queue_full\"");
    broken = a;
    broken["timeline"].push_back(5);
    refused(broken, "timeline second is not an object");
    broken = a;
    broken["timeline"][0]["errors"] = "x";
    refused(broken, "\"errors\"");

    // Per-side histograms on one side only describe half the requests: the merged entry has none,
    // so a third merge cannot count the first side twice and skip the second.
    REQUIRE(a.contains("histograms"));
    auto without = b;
    without.erase("histograms");
    auto m = merge(a, without);
    INFO(error);
    REQUIRE(m);
    const auto& e = (*m)["bifrost"];
    CHECK_FALSE(e.contains("histograms"));
    CHECK(e["service_time_ms"].is_null());
    CHECK(merge(e, e));
    auto garbled = a;
    garbled["histograms"] = "garbled";
    m = merge(garbled, without);
    REQUIRE(m);
    CHECK(merge((*m)["bifrost"], (*m)["bifrost"]));
}

TEST_CASE("the table says when the overhead interval is too thin or not the proxy's",
          "[unit][loadgen][results]")
{
    auto thin = steady_entry(4, 1);
    REQUIRE(thin["overhead"]["windows"] == 2);
    CHECK_THAT(loadgen::format_table("bifrost", thin),
               Catch::Contains("note: 2 window pairs are too few for a 95% interval (it needs 10)"));
    auto e = steady_entry(20, 1);
    REQUIRE(e["overhead"]["windows"] == 10);
    e["proxy_server_timing_ms"] = {{"mean", 0.02}, {"p50", 0.013}, {"p90", 0.02}, {"p99", 0.065}};
    auto table = loadgen::format_table("bifrost", e);
    CHECK_THAT(table, !Catch::Contains("note:")); // the synthetic proxy adds 1 ms: within the slack

    // The quick start's real LiteLLM past its capacity: +134 ms [+101, +134] of p50 "overhead".
    e["overhead"]["p50_ms"] = {{"value", 134.463}, {"ci_low", 100.762}, {"ci_high", 134.463}};
    table = loadgen::format_table("bifrost", e);
    CHECK_THAT(table, Catch::Contains("note: the overhead p50 (+134.463 ms) is not the proxy's own time "
                                      "(Server-Timing p50 0.013 ms, p99 0.065 ms)"));
    e["overhead"]["p50_ms"] = {{"value", -53.0}, {"ci_low", -171.2}, {"ci_high", -8.4}};
    CHECK_THAT(loadgen::format_table("bifrost", e), Catch::Contains("overhead p50 (-53.000 ms) is not"));
    e["overhead"]["p50_ms"] = {{"value", -53.0}, {"ci_low", -171.2}, {"ci_high", 0.5}};
    CHECK_THAT(loadgen::format_table("bifrost", e), !Catch::Contains("note:")); // the interval holds 0
    e.erase("proxy_server_timing_ms"); // another proxy than this project's: no own time to compare
    e["overhead"]["p50_ms"] = {{"value", 134.463}, {"ci_low", 100.762}, {"ci_high", 134.463}};
    CHECK_THAT(loadgen::format_table("bifrost", e), !Catch::Contains("note:"));
}

TEST_CASE("the table says when a server looks past its capacity", "[unit][loadgen][results]")
{
    auto e = steady_entry(20, 1);
    CHECK_THAT(loadgen::format_table("litellm", e), !Catch::Contains("past its capacity"));
    // The quick start's LiteLLM at 50 req/s: one Python worker at a whole core, p50 far above
    // its fastest answer.
    auto& d = e["direct"];
    d["server_pid"] = 11667;
    d["server_cpu_percent"] = {{"avg", 96.349}, {"peak", 105.075}};
    d["p50_latency_ms"] = 621.281;
    d["min_latency_ms"] = 14.2;
    CHECK_THAT(
        loadgen::format_table("litellm", e),
        Catch::Contains("note: the direct target (pid 11667) used 96% of a CPU core on average while its "
                        "p50 (621.281 ms) was far above its fastest answer (14.200 ms)"));
    d["server_cpu_percent"]["avg"] = 88.7; // saturated beside another busy process on its core
    CHECK_THAT(loadgen::format_table("litellm", e), Catch::Contains("used 89% of a CPU core"));
    d["server_cpu_percent"]["avg"] = 60.0; // a busy server that keeps up
    CHECK_THAT(loadgen::format_table("litellm", e), !Catch::Contains("past its capacity"));
    d["server_cpu_percent"]["avg"] = 150.0; // a multi-threaded one at a core and a half, latency steady
    d["p50_latency_ms"] = 20.0;
    CHECK_THAT(loadgen::format_table("litellm", e), !Catch::Contains("past its capacity"));
    e["server_pid"] = 4242; // the candidate itself, measured alone or in front of the direct target
    e["server_cpu_percent"] = {{"avg", 99.0}, {"peak", 100.0}};
    e["p50_latency_ms"] = 300.0;
    e["min_latency_ms"] = 2.0;
    CHECK_THAT(loadgen::format_table("litellm", e), Catch::Contains("note: the server (pid 4242) used 99%"));
}

TEST_CASE("results entries carry their notes and a merge writes those of the union",
          "[unit][loadgen][results]")
{
    auto a = steady_entry(10, 1);
    auto b = steady_entry(10, 2);
    REQUIRE(a["notes"].is_array());
    REQUIRE(a["notes"].size() == 1);
    CHECK(a["notes"][0].get<std::string>().starts_with("5 window pairs are too few"));
    std::string error;
    auto m = loadgen::merge_results({json{{"bifrost", a}}, json{{"bifrost", b}}}, error);
    INFO(error);
    REQUIRE(m);
    const auto& e = (*m)["bifrost"];
    CHECK(e["overhead"]["windows"] == 10);
    CHECK(e["notes"] == json::array()); // two thin runs, one interval from enough pairs
    CHECK(steady_entry(20, 1)["notes"] == json::array());
}

TEST_CASE("with a baseline, the table says when a side's p50 under load is far above its p50 alone",
          "[unit][loadgen][results]")
{
    auto e = steady_entry(20, 1);
    auto& d = e["direct"];
    d["baseline"] = baseline_of(10, 12.0);
    CHECK_THAT(loadgen::format_table("litellm", e), !Catch::Contains("note:"));
    CHECK_THAT(loadgen::format_table("litellm", e), Catch::Contains("  direct   alone: p50 12.0") &&
                                                        Catch::Contains("over 10 sequential requests"));
    // The quick start's LiteLLM at 50 req/s: p50 75 ms under load, about 12 ms alone.
    d["p50_latency_ms"] = 75.0;
    d["server_pid"] = 11667;
    d["server_cpu_percent"] = {{"avg", 91.2}, {"peak", 101.0}};
    auto table = loadgen::format_table("litellm", e);
    CHECK_THAT(table, Catch::Contains("note: the direct target's p50 under load (75.000 ms) was 6.2x its p50 "
                                      "alone (12.0"));
    CHECK_THAT(table, Catch::Contains("over 10 sequential requests before the load), its process (pid 11667) "
                                      "using 91% of a CPU core: at this rate requests queue there, and the "
                                      "latencies of both sides here are mostly waiting"));
    CHECK_THAT(table, !Catch::Contains("past its capacity")); // the baseline replaces the CPU heuristic
    // A server on several cores, or one not sampled (remote): the queue shows all the same.
    d["server_cpu_percent"] = nullptr;
    CHECK_THAT(loadgen::format_table("litellm", e),
               Catch::Contains("before the load): at this rate requests queue there"));
    // The candidate behind it queues too (a proxy in front of the saturated LiteLLM, its own process
    // idle): one note, the direct target's, for both sides.
    e["baseline"] = baseline_of(10, 13.0);
    e["p50_latency_ms"] = 80.0;
    e["server_cpu_percent"] = {{"avg", 1.0}, {"peak", 2.0}};
    CHECK_THAT(loadgen::format_table("litellm", e), !Catch::Contains("the server's"));
    CHECK(loadgen::result_notes(e).size() == 1);
    e["baseline"] = nullptr;
    e["server_cpu_percent"] = {{"avg", 99.0}, {"peak", 100.0}}; // nor the heuristic's
    CHECK(loadgen::result_notes(e).size() == 1);
    e["server_cpu_percent"] = nullptr;
    // Within twice its p50 alone plus 1 ms: no note, although a whole core was busy and the p50 is
    // far above the fastest answer (the heuristic used without a baseline would have spoken).
    d["p50_latency_ms"] = 24.9;
    d["min_latency_ms"] = 2.0;
    d["server_cpu_percent"] = {{"avg", 96.0}, {"peak", 100.0}};
    CHECK_THAT(loadgen::format_table("litellm", e), !Catch::Contains("note:"));
    d["baseline"] = nullptr; // -baseline 0: the heuristic again
    CHECK_THAT(loadgen::format_table("litellm", e), Catch::Contains("past its capacity"));
    // The candidate's own baseline, named "server".
    e["baseline"] = baseline_of(10, 1.0);
    e["p50_latency_ms"] = 40.0;
    auto own = loadgen::format_table("litellm", e);
    CHECK_THAT(own, Catch::Contains("note: the server's p50 under load (40.000 ms)"));
    // Its upstream, the direct target, near a whole core: the queue is most likely there, although
    // the direct side's own p50 stayed within the rule (the quick start's LiteLLM, 1.2x against the
    // proxy's side's 2.2x).
    CHECK_THAT(own,
               Catch::Contains("before the load), its upstream's process (the direct target, pid 11667) "
                               "using 96% of a CPU core: at this rate its requests queue, most likely at "
                               "its upstream, which was near a whole core, and its latency here is mostly "
                               "waiting"));
    e["server_pid"] = 4242;
    e["server_cpu_percent"] = {{"avg", 1.2}, {"peak", 5.0}};
    CHECK_THAT(loadgen::format_table("litellm", e),
               Catch::Contains("its process (pid 4242) using 1% of a CPU core and its upstream's (the direct "
                               "target, pid 11667) 96%: at this rate its requests queue, most likely at its "
                               "upstream"));
    d["server_cpu_percent"] = {{"avg", 30.0}, {"peak", 50.0}}; // an upstream with room: either may queue
    CHECK_THAT(loadgen::format_table("litellm", e),
               Catch::Contains("and its upstream's (the direct target, pid 11667) 30%: at this rate its "
                               "requests queue (in it or behind it)"));
    d["server_cpu_percent"] = "busy"; // hand-edited: as if not sampled
    CHECK_THAT(
        loadgen::format_table("litellm", e),
        Catch::Contains("using 1% of a CPU core: at this rate its requests queue (in it or behind it)"));
    e["direct"] = nullptr; // measured alone: nothing behind it to name
    CHECK_THAT(
        loadgen::format_table("litellm", e),
        Catch::Contains("using 1% of a CPU core: at this rate its requests queue (in it or behind it)"));
}

TEST_CASE("the table has a line for each side's server process", "[unit][loadgen][results]")
{
    auto e = steady_entry(20, 1);
    CHECK_THAT(loadgen::format_table("litellm", e), !Catch::Contains("server (pid"));
    e["server_pid"] = 4242;
    e["server_peak_memory_mb"] = 9.8;
    e["server_avg_memory_mb"] = 9.75;
    e["server_cpu_percent"] = {{"avg", 0.8}, {"peak", 5.0}};
    auto& d = e["direct"];
    d["server_pid"] = 11667;
    d["server_peak_memory_mb"] = 180.25;
    d["server_avg_memory_mb"] = 179.0;
    d["server_cpu_percent"] = {{"avg", 87.56}, {"peak", 105.0}};
    auto table = loadgen::format_table("litellm", e);
    CHECK_THAT(table,
               Catch::Contains("\nserver (pid 4242): RSS peak 9.8 MiB avg 9.8 MiB, CPU avg 0.8%\n"
                               "  direct server (pid 11667): RSS peak 180.2 MiB avg 179.0 MiB, CPU avg "
                               "87.6%\n"));
    d["server_peak_memory_mb"] = nullptr; // not found on its port
    CHECK_THAT(loadgen::format_table("litellm", e), !Catch::Contains("direct server"));
}

TEST_CASE("bench summary: one row per entry, thin p99s starred once, the other notes after",
          "[unit][loadgen][results]")
{
    // 10 pairs at 40 req/s: 360 successes on the smaller side, 1 of the notes on thin tails.
    auto thin = entry_at_40(20, 1);
    REQUIRE(thin["overhead"]["p99_ms"]["tail_samples"] == 3);
    auto steady = entry_at_40(20, 1);
    steady["succeeded"] = 5000;
    steady["direct"]["succeeded"] = 5000;
    steady["overhead"]["smaller_side"] = 5000;
    steady["overhead"]["p99_ms"]["tail_samples"] = 50;
    steady["overhead"]["p999_ms"]["tail_samples"] = 5;
    auto row_of = [](const std::string& text, const std::string& key) {
        auto at = text.find("\n" + key + " ");
        REQUIRE(at != std::string::npos);
        return text.substr(at + 1, text.find('\n', at + 1) - at - 1);
    };

    auto both = loadgen::format_summary(json{{"bifrost", thin}, {"portkey", steady}});
    CHECK_THAT(both,
               Catch::StartsWith("provider    direct ok% proxy ok% direct p50  proxy p50  direct p99   proxy "
                                 "p99  overhead p50 ms [95% CI]     overhead p99 ms [95% CI]\n"));
    // Both sides' success rates: a direct side that failed shows beside the candidate's.
    CHECK_THAT(both, Catch::Contains(fmt::format("\nbifrost     {:>10.2f} {:>9.2f} ",
                                                 thin["direct"]["success_rate"].get<double>(),
                                                 thin["success_rate"].get<double>())));
    auto starred = row_of(both, "bifrost");
    CHECK(std::count(starred.begin(), starred.end(), '*') == 3); // both sides' p99 and the overhead's
    CHECK_THAT(starred, Catch::EndsWith("]*"));
    auto plain = row_of(both, "portkey");
    CHECK(plain.find('*') == std::string::npos);
    CHECK_THAT(both,
               Catch::Contains("\n* from fewer than 1,000 requests a side: p99 is among the slowest few"));
    // The starred entry's tail note is the legend's; the steady one keeps its p99.9 note.
    CHECK_THAT(both, !Catch::Contains("note (bifrost): p99 and p99.9 rest on too few requests"));
    CHECK_THAT(both, Catch::Contains("note (portkey): p99.9 rests on too few requests: 5000 successes"));
    // The starred entry's other notes stay.
    CHECK(loadgen::result_notes(thin).size() == 1);
    CHECK(loadgen::result_notes(thin, loadgen::tail_notes::leave_out).empty());

    auto alone = loadgen::format_summary(json{{"portkey", steady}});
    CHECK_THAT(alone, !Catch::Contains("* from fewer"));
    CHECK_THAT(row_of(alone, "portkey"),
               Catch::Contains(fmt::format("{:.3f}", steady["direct"]["p50_latency_ms"].get<double>())));

    // Anything a hand-edited file holds: a name longer than the column, one with a control byte,
    // an entry that is not an object, fields of the wrong type; no throw, absent figures as "-".
    auto odd = thin;
    odd["overhead"] = "none";
    odd["direct"]["p99_latency_ms"] = json::array();
    odd["success_rate"] = nullptr;
    odd["succeeded"] = -3;
    auto text = loadgen::format_summary(
        json{{"a-provider-named-at-length", steady}, {"bad\x1b", odd}, {"broken", "text"}});
    // The name column is one wider than the longest name (26 characters).
    CHECK_THAT(text, Catch::StartsWith("provider" + std::string(27 - 8 + 1, ' ') + "direct ok%"));
    auto bad = row_of(text, "bad\\x1b");
    CHECK_THAT(bad, Catch::Contains("      -"));
    CHECK(std::count(bad.begin(), bad.end(), '*') == 0); // no counts to judge by: no stars
    CHECK_THAT(text,
               Catch::Contains("\nbroken" + std::string(27 - 6 + 1, ' ') + "not a results entry (string)\n"));
    std::size_t variants = 0;
    for (const json& wrong : {json("x"), json::array({1}), json(nullptr), json(-1e300)}) {
        for (const char* block : {"", "direct", "overhead"}) {
            const json& at = *block ? thin[block] : thin;
            for (const auto& [k, v] : at.items()) {
                auto copy = thin;
                (*block ? copy[block][k] : copy[k]) = wrong;
                REQUIRE_NOTHROW(loadgen::format_summary(json{{"bifrost", copy}}));
                ++variants;
            }
        }
    }
    CHECK(variants > 200);
}

TEST_CASE("the table says which tail percentiles rest on too few requests", "[unit][loadgen][results]")
{
    // 10 pairs at 40 req/s: 400 requests a side, of which the proxy's 360 succeed.
    auto e = entry_at_40(20, 1);
    const auto& o = e["overhead"];
    CHECK(o["smaller_side"] == 360);
    CHECK(o["p50_ms"]["tail_samples"] == 180);
    CHECK(o["p90_ms"]["tail_samples"] == 36);
    CHECK(o["p99_ms"]["tail_samples"] == 3);
    CHECK(o["p999_ms"]["tail_samples"] == 0);
    CHECK_FALSE(o["mean_ms"].contains("tail_samples"));
    auto table = loadgen::format_table("bifrost", e);
    CHECK_THAT(table, Catch::Contains("note: p99 and p99.9 rest on too few requests: 360 successes (the "
                                      "smaller side, over the window pairs) leave 3 beyond p99 and 0 beyond "
                                      "p99.9, and a steady percentile needs about 10 beyond it (1,000 "
                                      "requests for p99 and 10,000 requests for p99.9); these figures and "
                                      "their intervals show the slowest few requests"));
    CHECK(e["notes"].size() == 1);

    // Two pairs: 72 successes of the proxy put p90 among the slowest few too.
    auto tiny = entry_at_40(4, 1);
    CHECK_THAT(loadgen::format_table("bifrost", tiny),
               Catch::Contains("p90, p99 and p99.9 rest on too few requests: 72 successes") &&
                   Catch::Contains("leave 7 beyond p90, 0 beyond p99 and 0 beyond p99.9"));

    // One percentile: 5,000 successes leave 50 beyond p99 and 5 beyond p99.9.
    e["overhead"]["smaller_side"] = 5000;
    CHECK_THAT(loadgen::format_table("bifrost", e),
               Catch::Contains("note: p99.9 rests on too few requests: 5000 successes (the smaller side, "
                               "over the window pairs) leave 5 beyond p99.9") &&
                   Catch::Contains("(10,000 requests for p99.9); that figure and its interval"));
    e["overhead"]["smaller_side"] = 10000;
    CHECK(loadgen::result_notes(e).empty());

    // Without an overhead, the sides' own successes: the smaller of the two.
    e["overhead"] = nullptr;
    e["succeeded"] = 2000;
    e["direct"]["succeeded"] = 500;
    CHECK_THAT(loadgen::format_table("bifrost", e),
               Catch::Contains("note: p99 and p99.9 rest on too few requests: 500 successes (the smaller "
                               "side) leave 5 beyond p99"));
    e["direct"] = nullptr;
    CHECK_THAT(loadgen::format_table("bifrost", e),
               Catch::Contains("note: p99.9 rests on too few requests: 2000 successes leave 2 beyond p99.9, "
                               "and a steady percentile needs about 10 beyond it (10,000 requests for "
                               "p99.9); that figure shows"));

    // Hand-edited counts: none, negative, not a number, past uint64_t: no note, nothing undefined.
    for (json n : {json(0), json(-5), json("many"), json(1e300), json(nullptr)}) {
        e["succeeded"] = n;
        CHECK(loadgen::result_notes(e).empty());
    }
}

TEST_CASE("the table prints any entry: a field of the wrong type shows as absent", "[unit][loadgen][results]")
{
    // bench report prints files that may be hand-edited: every field, at the top, in direct and in
    // the overhead, replaced in turn by a string, an array and null.
    auto e = entry_at_40(20, 1);
    e["error_latency"] = {{"count", 3}, {"p50_ms", 0.3}};
    e["drop_reasons"] = {{"timeout", 2}, {"unsent", 1}};
    e["stream"] = {{"ttft_ms", {{"p50", 1.0}}}, {"gap_ms", 2}, {"chunks_per_second", 9.5}};
    e["find_max"] = {{"max_rate", 123.5}, {"slo_ms", 50}, {"trials", json::array()}};
    const std::string whole = loadgen::format_table("bifrost", e);
    CHECK_THAT(whole,
               Catch::Contains("find-max: highest rate within p99 <= 50 ms and < 0.1% errors: 123.5 req/s"));
    CHECK_THAT(whole, Catch::Contains("no response: 3 (timeout 2, unsent 1)"));
    CHECK_THAT(whole,
               Catch::Contains("stream: ttft p50 1.000 ms p99 - ms, gap p50 - ms p99 - ms, 9.5 chunks/s"));
    std::size_t variants = 0;
    for (const json& odd : {json("x"), json::array({1}), json(nullptr)}) {
        for (const char* block : {"", "direct", "overhead"}) {
            const json& at = *block ? e[block] : e;
            for (const auto& [k, v] : at.items()) {
                auto copy = e;
                (*block ? copy[block][k] : copy[k]) = odd;
                std::string table;
                REQUIRE_NOTHROW(table = loadgen::format_table("bifrost", copy));
                CHECK_THAT(table, Catch::StartsWith("target "));
                ++variants;
            }
        }
    }
    CHECK(variants > 150);
    auto copy = e;
    copy["p50_latency_ms"] = "fast";
    CHECK_THAT(loadgen::format_table("bifrost", copy),
               Catch::Contains("     -     3.3")); // p50 absent, p90 shown
    CHECK_NOTHROW(loadgen::format_table("bifrost", json("not an entry")));
}

TEST_CASE("bench's own CPU: its block, its table line, its note, its merge", "[unit][loadgen][results]")
{
    using loadgen::load_generator_json;
    using loadgen::merge_load_generator;
    CHECK(load_generator_json(1, {}).is_null()); // the load ended in its warm-up
    auto lg = load_generator_json(2, {12.34, 56.78});
    CHECK(lg == json{{"threads", 2}, {"busiest_thread_cpu_percent", 56.8}});
    CHECK(merge_load_generator(lg, load_generator_json(1, {91.0})) ==
          json{{"threads", 3}, {"busiest_thread_cpu_percent", 91.0}});
    CHECK(merge_load_generator(lg, nullptr).is_null());
    CHECK(merge_load_generator(lg, json{{"threads", -1}, {"busiest_thread_cpu_percent", 5}}).is_null());
    CHECK(merge_load_generator(json{{"threads", 1}, {"busiest_thread_cpu_percent", "x"}}, lg).is_null());

    auto e = steady_entry(20, 1);
    CHECK(e["load_generator"].is_null()); // a synthetic run measured no thread
    e["load_generator"] = load_generator_json(1, {12.3});
    e["late_sends"] = 40;
    e["direct"]["late_sends"] = 35;
    CHECK_THAT(loadgen::format_table("bifrost", e),
               Catch::Contains("load generator: 1 worker thread, the busiest at 12.3% of a CPU core\n"));
    CHECK(loadgen::result_notes(e).empty());
    e["load_generator"] = load_generator_json(2, {93.4, 40.0});
    auto notes = loadgen::result_notes(e);
    REQUIRE(notes.size() == 1);
    CHECK(notes[0] ==
          "bench's busiest worker thread used 93% of a CPU core over the measured phase (2 worker "
          "threads): near its limit, bench answers late to what it reads and sends late what is due "
          "(75 late sends), so the latencies here include time spent waiting for bench itself; give "
          "it more -threads, a core of its own (taskset), or a lower -rate");
    CHECK_THAT(loadgen::format_table("bifrost", e),
               Catch::Contains("load generator: 2 worker threads, the busiest at 93.4%"));
    e["load_generator"]["busiest_thread_cpu_percent"] = "busy"; // hand-edited: no note, a dash
    CHECK(loadgen::result_notes(e).empty());
    CHECK_THAT(loadgen::format_table("bifrost", e), Catch::Contains("the busiest at -% of a CPU core"));

    // Merged: the busier machine speaks for the merged entry.
    auto a = steady_entry(20, 1), b = steady_entry(20, 2);
    a["load_generator"] = load_generator_json(1, {20.0});
    b["load_generator"] = load_generator_json(1, {85.0});
    std::string error;
    auto m = loadgen::merge_results({json{{"bifrost", a}}, json{{"bifrost", b}}}, error);
    INFO(error);
    REQUIRE(m);
    CHECK((*m)["bifrost"]["load_generator"] == json{{"threads", 2}, {"busiest_thread_cpu_percent", 85.0}});
    CHECK_THAT((*m)["bifrost"]["notes"][0].get<std::string>(),
               Catch::StartsWith("bench's busiest worker thread used 85%"));
}

TEST_CASE("find-max says when the rate it found may be bench's own limit", "[unit][loadgen][results]")
{
    auto e = steady_entry(20, 1);
    auto trial = [](double rate, bool ok, json cpu) {
        return json{{"rate", rate}, {"ok", ok}, {"bench_cpu_percent", std::move(cpu)}};
    };
    e["find_max"] = {{"max_rate", 10000},
                     {"slo_ms", 50},
                     {"trials",
                      {trial(5000, true, 30.0), trial(10000, true, 55.0), trial(20000, false, 97.4),
                       trial(15000, false, 85.0), trial(12500, true, 70.0)}}};
    auto notes = loadgen::result_notes(e);
    REQUIRE(notes.size() == 1);
    CHECK(notes[0] ==
          "find-max: in the lowest trial over the SLO (15000 req/s), bench's busiest worker thread "
          "used 85% of a CPU core: the highest rate found may be bench's limit, not the target's; "
          "give bench more -threads or a core of its own and search again");
    e["find_max"]["trials"][3]["bench_cpu_percent"] = 60.0; // the target's limit: bench had room
    CHECK(loadgen::result_notes(e).empty());
    e["find_max"]["trials"][3]["bench_cpu_percent"] = nullptr; // a file from before the field
    CHECK(loadgen::result_notes(e).empty());
    e["find_max"]["trials"] = "garbled";
    CHECK(loadgen::result_notes(e).empty());
}

TEST_CASE("the machine: its block, its table line, its notes, its merge", "[unit][loadgen][results]")
{
    CHECK(loadgen::machine_json(std::nullopt, std::nullopt).is_null());
    auto m = loadgen::machine_json(common::machine_load{2, 34.56, 0.04}, std::nullopt);
    CHECK(m ==
          json{{"cpus", 2}, {"busy_percent", 34.6}, {"steal_percent", 0.0}, {"other_processes", nullptr}});
    CHECK(loadgen::merge_machine(m, json{{"cpus", 4}, {"busy_percent", 20}, {"steal_percent", 6.5}}) ==
          json{{"cpus", 4}, {"busy_percent", 34.6}, {"steal_percent", 6.5}, {"other_processes", nullptr}});
    CHECK(loadgen::merge_machine(m, nullptr).is_null());
    CHECK(
        loadgen::merge_machine(m, json{{"cpus", 4}, {"busy_percent", "x"}, {"steal_percent", 1}}).is_null());

    auto e = steady_entry(20, 1);
    CHECK(e["machine"].is_null()); // synthetic: nothing read
    e["machine"] = m;
    auto table = loadgen::format_table("bifrost", e);
    CHECK_THAT(table,
               Catch::Contains("machine: 2 CPUs, 34.6% busy, 0.0% stolen by the hypervisor over the run\n"));
    CHECK_THAT(table, !Catch::Contains("other processes"));
    CHECK(loadgen::result_notes(e).empty());
    e["machine"]["steal_percent"] = 7.25;
    e["machine"]["busy_percent"] = 95.0;
    auto notes = loadgen::result_notes(e);
    REQUIRE(notes.size() == 2);
    CHECK_THAT(notes[0],
               Catch::StartsWith("the hypervisor withheld 7.2% of this machine's CPU time during the "
                                 "run (steal)"));
    CHECK_THAT(notes[1], Catch::StartsWith("this machine's 2 CPUs were 95% busy during the run"));
    e["machine"]["steal_percent"] = 4.9;
    e["machine"]["busy_percent"] = 89.9;
    CHECK(loadgen::result_notes(e).empty());
}

TEST_CASE("the machine's other processes: block, table line, note at half a core, merge",
          "[unit][loadgen][results]")
{
    common::other_processes_cpu others{61.26,
                                       {{4242, "cc1plus", 55.04}, {17, "make", 4.0}, {901, "bash", 2.22}}};
    auto m = loadgen::machine_json(common::machine_load{2, 40.0, 0.0}, others);
    CHECK(m["other_processes"] == json{{"cpu_percent", 61.3},
                                       {"busiest",
                                        {{{"pid", 4242}, {"name", "cc1plus"}, {"cpu_percent", 55.0}},
                                         {{"pid", 17}, {"name", "make"}, {"cpu_percent", 4.0}},
                                         {{"pid", 901}, {"name", "bash"}, {"cpu_percent", 2.2}}}}});
    CHECK(loadgen::busiest_other_processes(m["other_processes"]) ==
          "cc1plus (pid 4242) 55.0%, make (pid 17) 4.0%, bash (pid 901) 2.2%");

    auto e = steady_entry(20, 1);
    e["machine"] = m;
    CHECK_THAT(loadgen::format_table("bifrost", e),
               Catch::Contains("other processes: 61.3% of a CPU core, the busiest cc1plus (pid 4242) 55.0%, "
                               "make (pid 17) 4.0%, bash (pid 901) 2.2%\n"));
    auto notes = loadgen::result_notes(e);
    REQUIRE(notes.size() == 1);
    CHECK(notes[0] ==
          "processes other than bench and the servers it sampled used 61% of a CPU core during the run "
          "(the busiest: cc1plus (pid 4242) 55.0%, make (pid 17) 4.0%, bash (pid 901) 2.2%): they "
          "competed with bench and the servers for the CPUs, and the latencies include that wait. An "
          "upstream behind a measured server (a gateway's provider) counts among them, as bench only "
          "samples the processes on its targets' ports; anything else, stop it or measure on another "
          "machine");

    // The threshold is half a core, all of them together.
    e["machine"]["other_processes"]["cpu_percent"] = loadgen::other_processes_note_percent - 0.1;
    CHECK(loadgen::result_notes(e).empty());
    e["machine"]["other_processes"]["cpu_percent"] = loadgen::other_processes_note_percent;
    CHECK(loadgen::result_notes(e).size() == 1);

    // Hand-edited: a name with control bytes is escaped, wrong-typed entries are skipped, at most
    // busiest_kept are listed, and a block without its figure gives no note.
    e["machine"]["other_processes"]["busiest"] = {
        {{"pid", 5}, {"name", "evil\x1b[2J\n"}, {"cpu_percent", 60}},
        {{"pid", "6"}, {"name", "x"}, {"cpu_percent", 1}},
        {{"pid", 7}, {"name", 7}, {"cpu_percent", 1}},
        "garbled",
        {{"pid", 8}, {"name", "a"}, {"cpu_percent", 1}},
        {{"pid", 9}, {"name", "b"}, {"cpu_percent", 1}},
        {{"pid", 10}, {"name", "c"}, {"cpu_percent", 1}}};
    CHECK(loadgen::busiest_other_processes(e["machine"]["other_processes"]) ==
          "evil\\x1b[2J\\x0a (pid 5) 60.0%, a (pid 8) 1.0%, b (pid 9) 1.0%");
    e["machine"]["other_processes"]["busiest"] = "garbled";
    CHECK(loadgen::busiest_other_processes(e["machine"]["other_processes"]).empty());
    CHECK_THAT(loadgen::format_table("bifrost", e),
               Catch::Contains("other processes: 50.0% of a CPU core\n"));
    CHECK_THAT(loadgen::result_notes(e).at(0),
               Catch::Contains("used 50% of a CPU core during the run: they"));
    e["machine"]["other_processes"] = json{{"cpu_percent", "x"}};
    CHECK(loadgen::result_notes(e).empty());
    CHECK_THAT(loadgen::format_table("bifrost", e), Catch::Contains("other processes: -% of a CPU core\n"));

    // Merged: the busier input's block, or the one input's that has one.
    auto quiet =
        loadgen::machine_json(common::machine_load{2, 10.0, 0.0}, common::other_processes_cpu{3.0, {}});
    auto none = loadgen::machine_json(common::machine_load{2, 10.0, 0.0}, std::nullopt);
    CHECK(loadgen::merge_machine(quiet, m)["other_processes"] == m["other_processes"]);
    CHECK(loadgen::merge_machine(m, quiet)["other_processes"] == m["other_processes"]);
    CHECK(loadgen::merge_machine(none, quiet)["other_processes"] == quiet["other_processes"]);
    CHECK(loadgen::merge_machine(quiet, none)["other_processes"] == quiet["other_processes"]);
    CHECK(loadgen::merge_machine(none, none)["other_processes"].is_null());
}

TEST_CASE("merge: the tail counts are those of the pooled window pairs", "[unit][loadgen][results]")
{
    std::string error;
    auto m = loadgen::merge_results(
        {json{{"bifrost", entry_at_40(20, 1)}}, json{{"bifrost", entry_at_40(20, 2)}}}, error);
    INFO(error);
    REQUIRE(m);
    const auto& o = (*m)["bifrost"]["overhead"];
    CHECK(o["smaller_side"] == 720);
    CHECK(o["p99_ms"]["tail_samples"] == 7);
    CHECK(o["p999_ms"]["tail_samples"] == 0);
    CHECK_THAT((*m)["bifrost"]["notes"][0].get<std::string>(),
               Catch::StartsWith("p99 and p99.9 rest on too few"));
}

TEST_CASE("merge: baselines merge their histograms, and one run without one leaves none",
          "[unit][loadgen][results]")
{
    auto a = entry_at_40(10, 1);
    auto b = entry_at_40(10, 2);
    a["baseline"] = baseline_of(10, 1.0);
    b["baseline"] = baseline_of(30, 2.0);
    a["direct"]["baseline"] = baseline_of(10, 0.5);
    b["direct"]["baseline"] = baseline_of(10, 0.5);
    std::string error;
    auto merge = [&](const json& x, const json& y) {
        error.clear();
        return loadgen::merge_results({json{{"bifrost", x}}, json{{"bifrost", y}}}, error);
    };
    auto m = merge(a, b);
    INFO(error);
    REQUIRE(m);
    const auto& e = (*m)["bifrost"];
    CHECK(e["baseline"]["requests"] == 40);
    CHECK(e["baseline"]["succeeded"] == 40);
    CHECK(e["baseline"]["p50_ms"].get<double>() == Approx(2.0).epsilon(0.01)); // 30 of the 40 took 2 ms
    CHECK(e["baseline"]["min_ms"].get<double>() == Approx(1.0).epsilon(0.01));
    CHECK(e["direct"]["baseline"]["succeeded"] == 20);
    CHECK(merge(e, e)); // a merged entry merges again

    auto without = b;
    without["baseline"] = nullptr;       // -baseline 0
    without["direct"].erase("baseline"); // older files
    m = merge(a, without);
    REQUIRE(m);
    CHECK((*m)["bifrost"]["baseline"].is_null());
    CHECK((*m)["bifrost"]["direct"]["baseline"].is_null());

    auto broken = a;
    broken["baseline"] = "fast";
    CHECK_FALSE(merge(broken, b));
    CHECK(error.find("\"baseline\" is not an object") != std::string::npos);
    broken = a;
    broken["direct"]["baseline"]["latency"] = "garbled";
    CHECK_FALSE(merge(broken, b));
    CHECK(error.find("baseline: ") != std::string::npos);
}
