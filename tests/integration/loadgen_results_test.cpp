// Integration tests of what bench reports, against mock-llm on port 0: each side's rate in
// overhead mode, the latency of error responses, merge of overhead runs, and -find-max.
#include "bench/loadgen/histogram_codec.hpp"
#include "common/histogram.hpp"
#include "tests/integration/loadgen_support.hpp"

#include <catch2/catch.hpp>
#include <cstdio>
#include <fmt/format.h>
#include <fstream>
#include <iterator>
#include <sstream>

using namespace loadgen_test;
using nlohmann::json;

namespace {

std::string url_of(const mock_server& m)
{
    return "http://127.0.0.1:" + std::to_string(m.port) + "/v1/chat/completions";
}

// The rps column of the table row whose first word is `name`; -1 when there is no such row.
double table_rps(const std::string& output, const std::string& name)
{
    std::istringstream lines(output);
    for (std::string line; std::getline(lines, line);) {
        std::istringstream words(line);
        std::string first, mode, requests, ok;
        double rps = -1;
        if (words >> first >> mode >> requests >> ok >> rps && first == name &&
            (mode == "open" || mode == "closed"))
            return rps;
    }
    return -1;
}

std::string one_decimal(double v)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", v);
    return buf;
}

std::string slurp(const std::string& path)
{
    std::ifstream in(path);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

} // namespace

TEST_CASE("overhead mode: each side shows the rate it was offered", "[integration][loadgen]")
{
    // Three windows of 500 ms: one side gets two, the other one. Dividing by half the run
    // showed 66.7 and 33.3 req/s at -rate 50; each side was offered 50 req/s.
    auto proxy = start_mock({"--latency", "2ms"});
    auto direct = start_mock();
    auto out = temp_file("sides.json"), html = temp_file("sides.html");
    auto r =
        run_bench({"-url", url_of(proxy), "-direct", url_of(direct), "-rate", "50", "-duration", "1.5",
                   "-window", "500ms", "-output", out, "-report", html, "-log-level", "warn", "-seed", "3"});
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    auto e = read_json(out)["url"];
    REQUIRE(e["direct"].is_object());
    CHECK(e["measured_s"].get<double>() + e["direct"]["measured_s"].get<double>() == Approx(1.5));
    CHECK(e["requests"].get<int>() + e["direct"]["requests"].get<int>() == 75);
    for (const auto* side : {&e, &e["direct"]}) {
        CHECK((*side)["success_rate"] == 100.0);
        CHECK((*side)["throughput_rps"].get<double>() == Approx(50).epsilon(0.03));
        // Real send spans: a late timer on a loaded machine lowers it a little.
        CHECK((*side)["achieved_rate"].get<double>() == Approx(50).epsilon(0.1));
    }
    CHECK(table_rps(r.output, "url") == Approx(50).epsilon(0.03));
    CHECK(table_rps(r.output, "direct") == Approx(50).epsilon(0.03));
    // The report's comparison table shows the proxy side's throughput.
    auto page = slurp(html);
    CHECK(page.find(">" + one_decimal(e["throughput_rps"].get<double>()) + "<") != std::string::npos);
    std::remove(out.c_str());
    std::remove(html.c_str());
}

TEST_CASE("overhead mode: a side past its capacity neither starves the other nor loses requests",
          "[integration][loadgen]")
{
    // The proxy side answers in 300 ms on 2 connections (under 7 req/s) and is offered 100 req/s.
    // With one schedule cursor for both sides its backlog held the direct windows back, and the
    // requests of both that were never claimed vanished: 25 of 100 per side were reported, 100% ok.
    auto slow = start_mock({"--latency", "300ms"});
    auto fast = start_mock();
    auto out = temp_file("overload.json");
    auto r =
        run_bench({"-url",    url_of(slow), "-direct",      url_of(fast), "-rate",    "100", "-duration", "2",
                   "-window", "250ms",      "-connections", "2",          "-timeout", "1s",  "-seed",     "1",
                   "-output", out,          "-log-level",   "warn"});
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    auto e = read_json(out)["url"];
    const auto& d = e["direct"];
    // Every scheduled request is accounted for, on the side whose window it was due in.
    CHECK(e["requests"].get<int>() == 100);
    CHECK(d["requests"].get<int>() == 100);
    // The direct side kept its times. With the old shared cursor most direct sends waited behind
    // the slow side's 300 ms backlog; a few late sends are scheduling noise (6 of 100 were seen
    // under ASan with a compile running beside it), so the bound only catches starvation.
    CHECK(d["success_rate"] == 100.0);
    CHECK(d["late_sends"].get<int>() <= 20);
    // The slow side: what its connections could not send within the timeout failed as unsent.
    auto unsent = e["drop_reasons"].value("unsent", 0);
    CHECK(unsent > 0);
    CHECK(e["succeeded"].get<int>() + unsent == 100);
    CHECK(e["succeeded"].get<int>() < 50);
    // The table says why the ok% is low.
    CHECK(r.output.find("url        no response: " + std::to_string(unsent) + " (unsent " +
                        std::to_string(unsent) + ")") != std::string::npos);
    CHECK(r.output.find("past its capacity") != std::string::npos);
    std::remove(out.c_str());
}

TEST_CASE("error responses are timed apart: fast 429s and slow 500s", "[integration][loadgen]")
{
    // x-mock-latency delays the successes and the 500s by 30 ms; 429s answer at once.
    auto mock = start_mock({"--fail-429", "20", "--fail-500", "20", "--seed", "7"});
    auto out = temp_file("errors.json");
    auto r = run_bench({"-provider", "mock", "-rate", "100", "-duration", "1", "-header",
                        "x-mock-latency: 30ms", "-output", out, "-log-level", "warn"},
                       {{"MOCK_PORT", std::to_string(mock.port)}});
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    auto e = read_json(out)["mock"];
    auto n429 = e["status_code_counts"].value("429", 0), n500 = e["status_code_counts"].value("500", 0);
    REQUIRE(n429 > 5);
    REQUIRE(n500 > 5);
    const auto& x = e["error_latency"];
    REQUIRE(x.is_object());
    CHECK(x["count"] == n429 + n500);
    CHECK(x["min_ms"].get<double>() < 20.0);  // a 429, answered at once
    CHECK(x["max_ms"].get<double>() >= 29.5); // a 500
    CHECK(x["p99_ms"].get<double>() >= 29.5);
    CHECK(e["min_latency_ms"].get<double>() >= 29.5); // successes only in the main figures
    CHECK(e["succeeded"] == 100 - n429 - n500);
    CHECK(r.output.find("non-2xx: " + std::to_string(n429 + n500) + " responses") != std::string::npos);
    std::remove(out.c_str());
}

TEST_CASE("merge of overhead runs keeps the overhead and the stream figures", "[integration][loadgen]")
{
    auto proxy = start_mock({"--ttft", "6ms", "--token-gap", "1ms", "--chunks", "3"});
    auto direct = start_mock({"--ttft", "2ms", "--token-gap", "1ms", "--chunks", "3"});
    auto a = temp_file("oa.json"), b = temp_file("ob.json"), m = temp_file("om.json");
    for (const auto& f : {a, b}) {
        auto r = run_bench({"-url", url_of(proxy), "-direct", url_of(direct), "-stream", "-rate", "100",
                            "-duration", "1", "-window", "250ms", "-output", f, "-quiet"});
        INFO(r.output);
        REQUIRE(r.exit_code == 0);
    }
    auto html = temp_file("om.html");
    auto r = run_bench({"merge", a, b, "-output", m, "-report", html});
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    auto ja = read_json(a)["url"], jb = read_json(b)["url"], jm = read_json(m)["url"];
    // The merged file's page, and its table printed again as a run prints its own.
    auto page = slurp(html);
    CHECK(page.find("<h2>Providers compared</h2>") != std::string::npos);
    CHECK(page.find(jm["overhead"]["windows"].dump() + " pairs of alternating windows") != std::string::npos);
    auto shown = run_bench({"report", m});
    INFO(shown.output);
    CHECK(shown.exit_code == 0);
    CHECK(shown.output.find("overhead (proxy - direct, 95% CI over " + jm["overhead"]["windows"].dump() +
                            " window pairs)") != std::string::npos);
    CHECK(shown.output.find("url        open") != std::string::npos);
    CHECK(shown.output.find("stream: ttft p50 ") != std::string::npos);
    for (const auto& note : jm["notes"])
        CHECK(shown.output.find("note: " + note.get<std::string>()) != std::string::npos);
    // Its summary row: the two sides' p50s and the overhead with its interval, as the file has them.
    auto summary = run_bench({"summary", m});
    INFO(summary.output);
    CHECK(summary.exit_code == 0);
    CHECK(summary.output.find(fmt::format("url         {:>10.2f} {:>9.2f} {:>10.3f} {:>10.3f}",
                                          jm["direct"]["success_rate"].get<double>(),
                                          jm["success_rate"].get<double>(),
                                          jm["direct"]["p50_latency_ms"].get<double>(),
                                          jm["p50_latency_ms"].get<double>())) != std::string::npos);
    CHECK(summary.output.find(
              fmt::format("{:+.3f} [{:+.3f}, {:+.3f}]", jm["overhead"]["p50_ms"]["value"].get<double>(),
                          jm["overhead"]["p50_ms"]["ci_low"].get<double>(),
                          jm["overhead"]["p50_ms"]["ci_high"].get<double>())) != std::string::npos);
    // About 100 requests a side: the p99s are starred, and the legend replaces the tail note.
    CHECK(summary.output.find("* from fewer than 1,000 requests a side") != std::string::npos);
    CHECK(summary.output.find("rest on too few requests") == std::string::npos);
    REQUIRE(jm["overhead"].is_object());
    CHECK(jm["overhead"]["windows"] ==
          ja["overhead"]["windows"].get<int>() + jb["overhead"]["windows"].get<int>());
    // The proxy mock is 4 ms slower to the first token; the figures themselves are checked in
    // loadgen_run_test on a single run, here only their sign (a loaded machine adds noise).
    CHECK(jm["overhead"]["p50_ms"]["value"].get<double>() > 0.0);
    // 1 s of 250 ms windows: every window is paired, so the point estimate is the difference of
    // the merged sides.
    CHECK(jm["overhead"]["p50_ms"]["value"].get<double>() ==
          Approx(jm["p50_latency_ms"].get<double>() - jm["direct"]["p50_latency_ms"].get<double>())
              .margin(0.0015));
    REQUIRE(jm["overhead"]["ttft_ms"].is_object());
    CHECK(jm["overhead"]["ttft_ms"]["p50_ms"]["value"].get<double>() > 0.0);
    CHECK(jm["overhead"]["ttft_ms"]["windows"] == jm["overhead"]["windows"]);
    // Exact: the merged histograms are the inputs' histograms added.
    std::string error;
    auto both = [&](const json& x, const json& y) {
        auto hx = common::histogram::from_json(x, error), hy = common::histogram::from_json(y, error);
        REQUIRE(hx);
        REQUIRE(hy);
        hx->merge(*hy);
        return *hx;
    };
    CHECK(jm["histogram"] == both(ja["histogram"], jb["histogram"]).to_json());
    CHECK(jm["direct_histogram"] == both(ja["direct_histogram"], jb["direct_histogram"]).to_json());
    auto ttft_a = loadgen::from_compact_json(ja["histograms"]["ttft"], error);
    auto ttft_b = loadgen::from_compact_json(jb["histograms"]["ttft"], error);
    REQUIRE(ttft_a);
    REQUIRE(ttft_b);
    ttft_a->merge(*ttft_b);
    REQUIRE(jm["stream"].is_object());
    CHECK(jm["stream"]["ttft_ms"]["p99"].get<double>() ==
          Approx(ttft_a->percentile_ns(99) / 1e6).margin(0.001));
    CHECK(jm["stream"]["chunks"] == ja["stream"]["chunks"].get<int>() + jb["stream"]["chunks"].get<int>());
    CHECK(jm["direct"]["stream"].is_object());
    for (const auto& f : {a, b, m, html})
        std::remove(f.c_str());
}

TEST_CASE("find-max: an SLO below the mock's latency finds no rate, and says so", "[integration][loadgen]")
{
    auto mock = start_mock({"--latency", "20ms"});
    auto out = temp_file("nomax.json");
    auto r = run_bench({"-provider", "mock", "-find-max", "-slo", "5", "-rate", "8", "-duration", "0.3",
                        "-cooldown", "0", "-output", out, "-quiet", "-log-level", "warn"},
                       {{"MOCK_PORT", std::to_string(mock.port)}});
    INFO(r.output);
    CHECK(r.exit_code == 1);
    CHECK(r.output.find("bench: mock: find-max: no rate meets the SLO (p99 <= 5 ms") != std::string::npos);
    // Halving from 8 until under 1 req/s: every rate tried is named.
    for (auto rate : {"8 req/s", "4 req/s", "2 req/s", "1 req/s"})
        CHECK(r.output.find(rate) != std::string::npos);
    CHECK_FALSE(std::ifstream(out).good()); // nothing written
}

TEST_CASE("find-max: a connection-bound mock has a known highest rate", "[integration][loadgen]")
{
    // Two connections to a 20 ms mock serve at most 100 req/s: above it requests queue, p99
    // (from the due time) passes 60 ms and the rate falls behind; below it p99 is ~20 ms.
    auto mock = start_mock({"--latency", "20ms"});
    auto out = temp_file("max.json");
    auto r = run_bench({"-provider", "mock", "-find-max", "-slo", "60", "-rate", "30", "-duration", "0.4",
                        "-connections", "2", "-cooldown", "0", "-output", out,
                        "-quiet"}, // info: the trials are logged
                       {{"MOCK_PORT", std::to_string(mock.port)}}, std::chrono::seconds(30));
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    auto e = read_json(out)["mock"];
    REQUIRE(e["find_max"].is_object());
    const auto& f = e["find_max"];
    INFO(f.dump());
    CHECK(f["slo_ms"] == 60.0);
    double best = 0;
    bool failed = false;
    for (const auto& t : f["trials"]) {
        auto rate = t["rate"].get<double>();
        if (t["ok"].get<bool>()) {
            best = std::max(best, rate);
            CHECK(t["p99_ms"].get<double>() <= 60.0);
        } else {
            failed = true;
        }
        CHECK(t.contains("achieved_rate"));
        CHECK(t["bench_cpu_percent"].is_number()); // bench's busiest thread in that trial
        if (rate >= 115) // well over what two connections can serve: never within the SLO
            CHECK_FALSE(t["ok"].get<bool>());
    }
    CHECK(failed);
    CHECK(f["max_rate"].get<double>() == best);
    // ~100 on a quiet machine (98 measured). On a loaded one a trial of 0.4 s misses the rate
    // criterion (within 1%, i.e. 4 ms) after one late timer, so the search may settle lower.
    CHECK(best >= 45.0);
    CHECK(best <= 115.0);
    CHECK(f["trials"].size() >= 4);
    CHECK(e["target_rate"].get<double>() == best); // the entry is the best trial's
    CHECK(e["p99_latency_ms"].get<double>() <= 60.0);
    for (const auto& n : e["notes"]) // the mock's two connections bound the rate, not bench
        CHECK_THAT(n.get<std::string>(), !Catch::StartsWith("find-max:"));
    std::remove(out.c_str());
}
