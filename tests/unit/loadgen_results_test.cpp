// Unit tests: the results.json entry follows the agreed schema; writing keeps other keys;
// merging adds up exactly.
#include "bench/loadgen/merge.hpp"
#include "bench/loadgen/report.hpp"

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <unistd.h>

using nlohmann::json;

namespace {

// A synthetic overhead-mode run: 4 windows (2 pairs), proxy 1 ms slower than direct.
loadgen::run_summary synthetic(const loadgen::config& c)
{
    loadgen::run_summary s;
    s.key = "bifrost";
    s.cfg = &c;
    s.proxied = true;
    s.effective_model = "openai/gpt-4o-mini";
    s.targets.resize(2);
    s.targets[0].url = "http://127.0.0.1:3001/v1/chat/completions";
    s.targets[1].url = "http://127.0.0.1:3039/v1/chat/completions";
    s.out.measured_s = 4;
    auto start = loadgen::clock::now();
    for (std::uint32_t w = 0; w < 4; ++w) {
        std::size_t t = loadgen::window_target(w, 2, c.seed);
        for (int i = 0; i < 100; ++i) {
            loadgen::exchange_result r;
            auto due = start + std::chrono::milliseconds(w * 1000 + i * 10);
            r.status = i == 99 ? 500 : 200;
            r.sent_at = due;
            r.done_at = due + std::chrono::microseconds(2000 + i * 10 + (t == 0 ? 1000 : 0));
            r.server_timing_ms = t == 0 ? 0.05 : -1;
            s.out.rec.record(t, r, due, start, w);
        }
    }
    common::process_usage u;
    u.pid = 42;
    u.processes = 1;
    u.peak_rss_mb = 10;
    u.avg_rss_mb = 8;
    u.cpu_percent_avg = 12;
    s.server = u;
    return s;
}

std::string temp_path(const char* name)
{
    return "/tmp/lgb_unit_" + std::to_string(getpid()) + "_" + name;
}

} // namespace

TEST_CASE("an entry has every field of the agreed schema", "[unit][loadgen][results]")
{
    loadgen::config c;
    c.provider = "bifrost";
    auto s = synthetic(c);
    auto e = loadgen::build_entry(s);
    for (auto k : {"format_version",
                   "requests",
                   "rate",
                   "success_rate",
                   "mean_latency_ms",
                   "p50_latency_ms",
                   "p90_latency_ms",
                   "p99_latency_ms",
                   "p999_latency_ms",
                   "min_latency_ms",
                   "max_latency_ms",
                   "throughput_rps",
                   "timestamp",
                   "status_code_counts",
                   "drop_reasons",
                   "server_peak_memory_mb",
                   "server_avg_memory_mb",
                   "mode",
                   "target",
                   "target_rate",
                   "achieved_rate",
                   "late_sends",
                   "percentiles",
                   "timeline",
                   "stream",
                   "direct",
                   "overhead",
                   "proxy_server_timing_ms",
                   "server_cpu_percent",
                   "proxy_process",
                   "histogram",
                   "direct_histogram",
                   "baseline",
                   "load_generator",
                   "machine",
                   "config"})
        CHECK(e.contains(k));
    CHECK(e["format_version"] == 2);
    CHECK(e["mode"] == "open");
    CHECK(e["requests"] == 200);
    CHECK(e["success_rate"].get<double>() == Approx(99.0));
    CHECK(e["status_code_counts"]["200"] == 198);
    CHECK(e["status_code_counts"]["500"] == 2);
    CHECK(e["timestamp"].get<std::string>().size() == 20);
    CHECK(e["percentiles"].size() >= 35);
    CHECK(e["percentiles"].back()[0] == 99.99);
    CHECK(e["timeline"].is_array());
    CHECK(e["timeline"][0].contains("t_s"));
    CHECK(e["timeline"][0].contains("rps"));
    CHECK(e["timeline"][0].contains("p50_ms"));
    CHECK(e["timeline"][0].contains("p99_ms"));
    CHECK(e["timeline"][0].contains("errors"));
    CHECK(e["stream"].is_null());
    REQUIRE(e["direct"].is_object());
    for (auto k :
         {"p50_latency_ms", "percentiles", "timeline", "target", "server_peak_memory_mb", "baseline"})
        CHECK(e["direct"].contains(k));
    CHECK(e["baseline"].is_null()); // no baseline measured (-baseline 0)
    CHECK(e["config"]["baseline_requests"] == 10);
    REQUIRE(e["overhead"].is_object());
    CHECK(e["overhead"]["windows"] == 2);
    CHECK(e["overhead"]["p50_ms"]["value"].get<double>() == Approx(1.0).margin(0.05));
    for (auto k : {"p50_ms", "p90_ms", "p99_ms", "p999_ms", "mean_ms"}) {
        CHECK(e["overhead"][k].contains("ci_low"));
        CHECK(e["overhead"][k].contains("ci_high"));
    }
    CHECK(e["overhead"]["smaller_side"] == 198); // 99 successes in each of the proxy's two windows
    CHECK(e["overhead"]["p99_ms"]["tail_samples"] == 1);
    CHECK(e["proxy_server_timing_ms"]["p50"].get<double>() == Approx(0.05).epsilon(0.01));
    CHECK(e["proxy_process"]["pid"] == 42);
    CHECK(e["server_cpu_percent"]["avg"] == 12);
    CHECK(e["histogram"]["total"] == 99 * 2);
    CHECK(e["config"]["provider"] == "bifrost");
}

TEST_CASE("header values never reach the config block", "[unit][loadgen][results]")
{
    loadgen::config c;
    c.headers = {{"Authorization", "Bearer sk-secret"}};
    auto e = loadgen::build_entry(synthetic(c));
    CHECK(e.dump().find("sk-secret") == std::string::npos);
    CHECK(e["config"]["header_names"][0] == "Authorization");
}

TEST_CASE("writing one provider rewrites only its key", "[unit][loadgen][results]")
{
    auto path = temp_path("results.json");
    {
        std::ofstream out(path);
        out << R"({"portkey": {"requests": 5}, "bifrost": {"requests": 1}})";
    }
    std::string error;
    REQUIRE(loadgen::write_results(path, "bifrost", json{{"requests", 9}}, error));
    std::ifstream in(path);
    auto j = json::parse(in);
    CHECK(j["portkey"]["requests"] == 5);
    CHECK(j["bifrost"]["requests"] == 9);
    {
        std::ofstream out(path);
        out << "[1, 2]";
    }
    CHECK_FALSE(loadgen::write_results(path, "bifrost", json::object(), error));
    CHECK(error.find("not a results object") != std::string::npos);
    std::remove(path.c_str());
}

TEST_CASE("merge adds counts and histograms exactly", "[unit][loadgen][results]")
{
    loadgen::config c;
    auto a = loadgen::build_entry(synthetic(c));
    auto b = a;
    std::string error;
    auto m = loadgen::merge_results({json{{"bifrost", a}}, json{{"bifrost", b}, {"mock", a}}}, error);
    REQUIRE(m);
    const auto& e = (*m)["bifrost"];
    CHECK(e["requests"] == 400);
    CHECK(e["status_code_counts"]["200"] == 396);
    CHECK(e["success_rate"].get<double>() == Approx(99.0));
    CHECK(e["throughput_rps"].get<double>() == Approx(2 * a["throughput_rps"].get<double>()));
    auto h = common::histogram::from_json(a["histogram"], error);
    h->merge(*h);
    CHECK(e["histogram"] == h->to_json());
    CHECK(e["p99_latency_ms"] == a["p99_latency_ms"]); // same distribution twice
    REQUIRE(e["overhead"].is_object());                // recomputed over the window pairs of both inputs
    CHECK(e["overhead"]["windows"] == 4);
    CHECK(e["overhead"]["p50_ms"]["value"] == a["overhead"]["p50_ms"]["value"]);
    CHECK((*m)["mock"]["requests"] == 200);

    auto broken = a;
    broken["histogram"]["total"] = 1;
    CHECK_FALSE(loadgen::merge_results({json{{"bifrost", a}}, json{{"bifrost", broken}}}, error));
}
