// Integration tests: bench against mock-llm on port 0 (rate, coordinated omission, streams,
// server sampling, overhead mode, closed loop, merge).
#include "common/histogram.hpp"
#include "tests/integration/loadgen_support.hpp"
#include "tests/support/http_client.hpp"

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <iterator>

using namespace loadgen_test;
using nlohmann::json;

namespace {

// An entry's notes about the run: those about the machine, which depend on what else it runs
// (other tests, in parallel), left out.
std::vector<std::string> run_notes(const json& entry)
{
    std::vector<std::string> out;
    for (const auto& n : entry["notes"]) {
        auto s = n.get<std::string>();
        if (!s.starts_with("this machine's ") && !s.starts_with("the hypervisor withheld ") &&
            !s.starts_with("processes other than bench "))
            out.push_back(s);
    }
    return out;
}

// mock-llm's /stats, on a connection of its own.
json mock_stats(std::uint16_t port)
{
    auto reply =
        test_support::raw_request(port, "GET /stats HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    auto body = reply.find("\r\n\r\n");
    REQUIRE(body != std::string::npos);
    return json::parse(reply.substr(body + 4));
}

} // namespace

TEST_CASE("open loop holds the target rate and samples the mock's process", "[integration][loadgen]")
{
    auto mock = start_mock();
    auto out = temp_file("rate.json");
    auto r = run_bench({"-provider", "mock", "-rate", "400", "-duration", "1.5", "-output", out, "-quiet",
                        "-env-file", "/nonexistent"},
                       {{"MOCK_PORT", std::to_string(mock.port)}});
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    auto e = read_json(out)["mock"];
    REQUIRE(e.is_object());
    CHECK(e["requests"] == 600);
    CHECK(e["success_rate"] == 100.0);
    CHECK(e["mode"] == "open");
    CHECK(e["target_rate"] == 400.0);
    // Within 0.5% on an idle machine; the tolerance covers a loaded CI under sanitizers.
    CHECK(e["achieved_rate"].get<double>() == Approx(400).epsilon(0.05));
    CHECK(e["status_code_counts"]["200"] == 600);
    CHECK(e["server_pid"] == mock.proc.pid());
    CHECK(e["server_peak_memory_mb"].get<double>() > 0.5);
    CHECK(e["histogram"]["total"] == 600);
    std::remove(out.c_str());
}

TEST_CASE("a process competing for the CPUs is named among the other processes", "[integration][loadgen]")
{
    auto mock = start_mock();
    // A busy loop that bench did not measure. Its own time limit only guards against a leak (a
    // test that crashes): the destructor kills it.
    test_support::child_process spinner("/bin/bash", {"-c", "while ((SECONDS < 30)); do :; done"});
    auto out = temp_file("others.json");
    auto r = run_bench({"-provider", "mock", "-rate", "200", "-duration", "1.5", "-output", out, "-env-file",
                        "/nonexistent"},
                       {{"MOCK_PORT", std::to_string(mock.port)}});
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    auto results = read_json(out);
    const auto& others = results["mock"]["machine"]["other_processes"];
    INFO(others.dump());
    REQUIRE(others.is_object());
    // A whole core when it has one; half of one beside a parallel test on two cores.
    CHECK(others["cpu_percent"].get<double>() >= 25.0);
    bool spinner_listed = false;
    for (const auto& p : others["busiest"]) {
        CHECK(p["pid"] != mock.proc.pid()); // the measured server is not an other process
        spinner_listed |=
            p["pid"] == spinner.pid() && p["name"] == "bash" && p["cpu_percent"].get<double>() >= 25.0;
    }
    CHECK(spinner_listed);
    CHECK(r.output.find("other processes: ") != std::string::npos);
    CHECK(r.output.find("(pid " + std::to_string(spinner.pid()) + ")") != std::string::npos);
    std::remove(out.c_str());
}

TEST_CASE("coordinated omission: the mock's stall shows in p99, not in service time",
          "[integration][loadgen]")
{
    // Every 150th request is held 300 ms. On one connection at 200 req/s the ~60 requests due
    // during a stall wait behind it: measured from their due time they are late, as a user
    // would see it; the service time (from the real send) only sees the one stalled request.
    auto mock = start_mock({"--stall-every", "150", "--stall-for", "300ms"});
    auto out = temp_file("co.json");
    auto r = run_bench({"-provider", "mock", "-rate", "200", "-duration", "1.5", "-connections", "1",
                        "-output", out, "-quiet"},
                       {{"MOCK_PORT", std::to_string(mock.port)}});
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    auto e = read_json(out)["mock"];
    REQUIRE(e["requests"] == 300);
    CHECK(e["p99_latency_ms"].get<double>() > 150.0);
    CHECK(e["service_time_ms"]["p99"].get<double>() < 100.0);
    CHECK(e["late_sends"].get<int>() > 20);
    CHECK(e["max_latency_ms"].get<double>() >= 300.0);
    std::remove(out.c_str());
}

TEST_CASE("stream figures match the mock's knobs", "[integration][loadgen]")
{
    auto mock = start_mock({"--ttft", "40ms", "--token-gap", "10ms", "--chunks", "6"});
    auto out = temp_file("stream.json");
    auto r =
        run_bench({"-provider", "mock", "-stream", "-rate", "20", "-duration", "1", "-output", out, "-quiet"},
                  {{"MOCK_PORT", std::to_string(mock.port)}});
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    auto s = read_json(out)["mock"]["stream"];
    REQUIRE(s.is_object());
    CHECK(s["ttft_ms"]["p50"].get<double>() >= 39.0);
    CHECK(s["ttft_ms"]["p50"].get<double>() < 60.0);
    CHECK(s["gap_ms"]["p90"].get<double>() >= 9.0);
    CHECK(s["gap_ms"]["p90"].get<double>() < 20.0);
    CHECK(s["total_ms"]["p50"].get<double>() >= 89.0); // ttft + 5 gaps
    CHECK(s["chunks_per_second"].get<double>() > 60.0);
    CHECK(s["chunks_per_second"].get<double>() < 250.0);
    std::remove(out.c_str());
}

TEST_CASE("overhead mode finds the latency one target adds", "[integration][loadgen]")
{
    // Two mocks stand in for proxy and upstream; the "proxy" adds 5 ms.
    auto slow = start_mock({"--latency", "5ms"});
    auto fast = start_mock();
    auto out = temp_file("overhead.json");
    auto r = run_bench({"-url", "http://127.0.0.1:" + std::to_string(slow.port) + "/v1/chat/completions",
                        "-direct", "http://127.0.0.1:" + std::to_string(fast.port) + "/v1/chat/completions",
                        "-rate", "200", "-duration", "2", "-window", "250ms", "-output", out, "-quiet",
                        "-seed", "3"});
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    auto e = read_json(out)["url"];
    REQUIRE(e["overhead"].is_object());
    CHECK(e["overhead"]["windows"].get<int>() >= 3);
    auto p50 = e["overhead"]["p50_ms"];
    CHECK(p50["value"].get<double>() == Approx(5.0).margin(1.5));
    CHECK(p50["ci_low"].get<double>() <= p50["value"].get<double>());
    CHECK(p50["ci_high"].get<double>() >= p50["value"].get<double>());
    CHECK(e["direct"]["requests"].get<int>() > 100);
    CHECK(e["requests"].get<int>() > 100);
    CHECK(e["direct"]["server_pid"] == fast.proc.pid());
    // Each side alone first (-baseline, 10 by default): the "proxy" mock's 5 ms, the direct one's
    // fraction of a millisecond; neither queues at 200 req/s, so no note.
    REQUIRE(e["baseline"].is_object());
    CHECK(e["baseline"]["requests"] == 10);
    CHECK(e["baseline"]["succeeded"] == 10);
    CHECK(e["baseline"]["p50_ms"].get<double>() == Approx(5.0).margin(1.5));
    REQUIRE(e["direct"]["baseline"].is_object());
    CHECK(e["direct"]["baseline"]["p50_ms"].get<double>() < 2.0);
    // bench's own thread over the measured phase: at 200 req/s, far from a whole core.
    REQUIRE(e["load_generator"].is_object());
    CHECK(e["load_generator"]["threads"] == 1);
    CHECK(e["load_generator"]["busiest_thread_cpu_percent"].get<double>() > 0.0);
    CHECK(e["load_generator"]["busiest_thread_cpu_percent"].get<double>() < 80.0);
    // The whole machine over the load, from /proc/stat.
    REQUIRE(e["machine"].is_object());
    CHECK(e["machine"]["cpus"].get<int>() >= 1);
    CHECK(e["machine"]["busy_percent"].get<double>() > 0.0);
    CHECK(e["machine"]["busy_percent"].get<double>() <= 100.0);
    CHECK(e["machine"]["steal_percent"].get<double>() >= 0.0);
    // Only what this short run is too short for: the interval (4 pairs) and the tail (fewer than
    // 1,000 successes a side leave p99 and p99.9 among the slowest few).
    // (A machine busy with other tests adds its own note, which says nothing of the run itself.)
    REQUIRE(e["overhead"]["smaller_side"].get<int>() < 1000);
    auto notes = run_notes(e);
    REQUIRE(notes.size() == 2);
    CHECK_THAT(notes[0], Catch::StartsWith("4 window pairs are too few"));
    CHECK_THAT(notes[1],
               Catch::StartsWith("p99 and p99.9 rest on too few requests: " +
                                 e["overhead"]["smaller_side"].dump() + " successes (the smaller side"));
    std::remove(out.c_str());
}

TEST_CASE("with a direct target the baselines run candidate, direct, candidate", "[integration][loadgen]")
{
    // A server still warming up gets faster over the baseline's requests; split around the direct
    // target's, the candidate's halves sit at the same mean time as them.
    auto a = start_mock();
    auto b = start_mock();
    auto url = [](int port) { return "http://127.0.0.1:" + std::to_string(port) + "/v1/chat/completions"; };
    auto out = temp_file("abba.json");
    auto r = run_bench({"-url", url(a.port), "-direct", url(b.port), "-users", "1", "-duration", "0.5",
                        "-baseline", "5", "-output", out, "-log-level", "debug"});
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    auto first = r.output.find("url: baseline: 3 sequential requests");
    auto direct = r.output.find("direct: baseline: 5 sequential requests");
    auto second = r.output.find("url: baseline: 2 sequential requests");
    REQUIRE(first != std::string::npos);
    REQUIRE(direct != std::string::npos);
    REQUIRE(second != std::string::npos);
    CHECK(first < direct);
    CHECK(direct < second);
    auto e = read_json(out)["url"];
    CHECK(e["baseline"]["requests"] == 5); // the halves together
    CHECK(e["baseline"]["succeeded"] == 5);
    CHECK(e["direct"]["baseline"]["requests"] == 5);
    // Each half on a connection of its own: the candidate saw the probe's, two baseline
    // connections, its one user's and this /stats; the direct target one baseline connection.
    CHECK(mock_stats(a.port)["accepted_connections"] == 1 + 2 + 1 + 1);
    CHECK(mock_stats(b.port)["accepted_connections"] == 1 + 1 + 1 + 1);
    std::remove(out.c_str());

    // Alone: one run of all of them.
    r = run_bench({"-url", url(a.port), "-rate", "50", "-duration", "0.5", "-baseline", "5", "-output", out,
                   "-log-level", "debug"});
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    CHECK(r.output.find("url: baseline: 5 sequential requests") != std::string::npos);
    CHECK(read_json(out)["url"]["baseline"]["requests"] == 5);
    std::remove(out.c_str());
}

TEST_CASE("a target whose latency under load is far above its latency alone gets a note",
          "[integration][loadgen]")
{
    // Answers in 20 ms on 2 connections (100 req/s at most) and is offered 150: its queue grows
    // for the whole second, up to about 100 ms. Alone, one request after another, it takes 20 ms.
    auto mock = start_mock({"--latency", "20ms"});
    auto out = temp_file("queue.json");
    auto r = run_bench({"-provider", "mock", "-rate", "150", "-duration", "1", "-connections", "2",
                        "-baseline", "5", "-output", out, "-log-level", "warn"},
                       {{"MOCK_PORT", std::to_string(mock.port)}});
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    auto e = read_json(out)["mock"];
    CHECK(e["baseline"]["requests"] == 5);
    CHECK(e["baseline"]["p50_ms"].get<double>() < 30.0);
    CHECK(e["p50_latency_ms"].get<double>() > 41.0);
    CHECK(r.output.find("note: the server's p50 under load (") != std::string::npos);
    CHECK(r.output.find("over 5 sequential requests before the load), its process (pid " +
                        std::to_string(mock.proc.pid())) != std::string::npos);
    auto notes = run_notes(e);
    REQUIRE(notes.size() == 2); // and the tail of 150 requests
    CHECK_THAT(notes[0], Catch::StartsWith("p90, p99 and p99.9 rest on too few") ||
                             Catch::StartsWith("p99 and p99.9 rest on too few"));
    std::remove(out.c_str());
}

TEST_CASE("a baseline of fewer than 3 successes is not written, and the run goes on",
          "[integration][loadgen]")
{
    auto mock = start_mock();
    auto out = temp_file("thin_baseline.json");
    auto r = run_bench(
        {"-provider", "mock", "-rate", "50", "-duration", "0.5", "-baseline", "2", "-output", out, "-quiet"},
        {{"MOCK_PORT", std::to_string(mock.port)}});
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    CHECK(r.output.find(
              "mock: baseline: 2 of 2 sequential requests succeeded, fewer than 3: no baseline for it") !=
          std::string::npos);
    auto e = read_json(out)["mock"];
    CHECK(e["baseline"].is_null());
    CHECK(e["requests"] == 25);
    std::remove(out.c_str());
}

TEST_CASE("closed loop with users", "[integration][loadgen]")
{
    auto mock = start_mock({"--latency", "2ms"});
    auto out = temp_file("closed.json");
    auto r = run_bench(
        {"-provider", "mock", "-users", "4", "-duration", "1", "-baseline", "0", "-output", out, "-quiet"},
        {{"MOCK_PORT", std::to_string(mock.port)}});
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    auto e = read_json(out)["mock"];
    CHECK(e["mode"] == "closed");
    CHECK(e["baseline"].is_null()); // -baseline 0
    CHECK(e["rate"] == 0.0);
    // 4 users, ~2 ms per request: up to ~2000 in one second, at least a few hundred on a busy box.
    CHECK(e["requests"].get<int>() > 200);
    CHECK(e["requests"].get<int>() <= 2100);
    CHECK(e["p50_latency_ms"].get<double>() >= 2.0);
    std::remove(out.c_str());
}

TEST_CASE("merge adds two runs exactly and rewrites nothing else", "[integration][loadgen]")
{
    auto mock = start_mock();
    auto a = temp_file("a.json"), b = temp_file("b.json"), m = temp_file("m.json");
    for (const auto& f : {a, b}) {
        auto r = run_bench({"-provider", "mock", "-rate", "200", "-duration", "0.5", "-output", f, "-quiet"},
                           {{"MOCK_PORT", std::to_string(mock.port)}});
        INFO(r.output);
        REQUIRE(r.exit_code == 0);
    }
    auto r = run_bench({"merge", a, b, "-output", m});
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    auto ja = read_json(a)["mock"], jb = read_json(b)["mock"], jm = read_json(m)["mock"];
    std::string error;
    auto ha = common::histogram::from_json(ja["histogram"], error);
    auto hb = common::histogram::from_json(jb["histogram"], error);
    REQUIRE(ha);
    REQUIRE(hb);
    ha->merge(*hb);
    CHECK(jm["histogram"] == ha->to_json());
    CHECK(jm["requests"] == 200);
    CHECK(jm["p99_latency_ms"].get<double>() == Approx(ha->percentile_ns(99) / 1e6).margin(0.001));
    for (const auto& f : {a, b, m})
        std::remove(f.c_str());
}

TEST_CASE("json summary on stdout and a self-contained HTML report", "[integration][loadgen]")
{
    auto mock = start_mock();
    auto out = temp_file("json.json"), html = temp_file("report.html");
    auto r = run_bench({"-provider", "mock", "-rate", "100", "-duration", "0.5", "-output", out, "-json",
                        "-log-level", "warn", "-report", html},
                       {{"MOCK_PORT", std::to_string(mock.port)}});
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    auto j = json::parse(r.output, nullptr, false);
    REQUIRE(j.is_object());
    CHECK(j["mock"]["requests"] == 50);
    CHECK_FALSE(j["mock"].contains("histogram")); // the summary leaves the histograms to the file
    std::ifstream page(html);
    std::string text((std::istreambuf_iterator<char>(page)), std::istreambuf_iterator<char>());
    CHECK(text.find("<svg") != std::string::npos);
    CHECK(text.find("<script src") == std::string::npos);
    std::remove(out.c_str());
    std::remove(html.c_str());
}
