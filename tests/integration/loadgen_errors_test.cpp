// Integration tests: every bad input gets one clear line and exit code 2, and writes nothing.
#include "tests/integration/loadgen_support.hpp"

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>

using namespace loadgen_test;

namespace {

// A loopback port with nothing listening: bind one, note it, close it.
std::uint16_t dead_port()
{
    boost::asio::io_context ioc;
    boost::asio::ip::tcp::acceptor a(ioc, {boost::asio::ip::make_address("127.0.0.1"), 0});
    return a.local_endpoint().port();
}

bool exists(const std::string& path)
{
    return std::ifstream(path).good();
}

void expect_rejected(const std::vector<std::string>& args, const std::string& needle,
                     const std::vector<std::pair<std::string, std::string>>& env = {})
{
    auto r = run_bench(args, env, std::chrono::seconds(10));
    INFO(r.output);
    CHECK(r.exit_code == 2);
    CHECK(r.output.find(needle) != std::string::npos);
    CHECK(r.output.starts_with("bench: "));
    CHECK(std::count(r.output.begin(), r.output.end(), '\n') == 1);
}

} // namespace

TEST_CASE("bad flags and conflicts exit 2 with one line", "[integration][loadgen]")
{
    expect_rejected({"-provider", "nosuch"}, "unknown provider 'nosuch'");
    expect_rejected({"-rate", "10", "-users", "3"}, "conflict");
    expect_rejected({"-stream", "-request-type", "embedding"}, "conflict");
    expect_rejected({"-find-max"}, "-slo");
    expect_rejected({"-duration", "soon"}, "-duration");
    expect_rejected({"--bogus"}, "unknown flag");
    expect_rejected({"-url", "ftp://x/y"}, "-url");
}

TEST_CASE("an unreadable prompt file exits 2", "[integration][loadgen]")
{
    expect_rejected({"-prompt-file", "/nonexistent/prompt.txt"}, "-prompt-file");
}

TEST_CASE("an unreachable target exits 2 and writes no zeros", "[integration][loadgen]")
{
    auto out = temp_file("unreachable.json");
    auto port = std::to_string(dead_port());
    expect_rejected({"-provider", "mock", "-duration", "1", "-output", out}, "cannot reach",
                    {{"MOCK_PORT", port}});
    CHECK_FALSE(exists(out));
    expect_rejected({"-url", "http://127.0.0.1:" + port + "/v1/chat/completions", "-output", out},
                    "cannot reach");
    CHECK_FALSE(exists(out));
    // A provider whose proxy is not running: its port comes from the table and the environment.
    expect_rejected({"-provider", "portkey", "-output", out}, "cannot reach", {{"PORTKEY_PORT", port}});
    CHECK_FALSE(exists(out));
}

TEST_CASE("a target that answers only errors writes nothing", "[integration][loadgen]")
{
    auto mock = start_mock({"--fail-500", "100"});
    auto out = temp_file("errors.json");
    expect_rejected({"-provider", "mock", "-rate", "50", "-duration", "0.5", "-output", out, "-quiet",
                     "-log-level", "warn"},
                    "no request succeeded", {{"MOCK_PORT", std::to_string(mock.port)}});
    CHECK_FALSE(exists(out));
}

TEST_CASE("all-error runs say what the requests got", "[integration][loadgen]")
{
    auto mock = start_mock({"--fail-500", "100"});
    auto out = temp_file("errors_said.json");
    auto r = run_bench({"-provider", "mock", "-rate", "50", "-duration", "0.5", "-output", out, "-quiet",
                        "-log-level", "warn"},
                       {{"MOCK_PORT", std::to_string(mock.port)}}, std::chrono::seconds(10));
    INFO(r.output);
    CHECK(r.exit_code == 2);
    CHECK(r.output.find("(500 x") != std::string::npos);
    CHECK(r.output.find("-url names the endpoint") == std::string::npos);

    // An API root instead of the endpoint: every request gets 404, and the line says what to pass.
    auto root = "http://127.0.0.1:" + std::to_string(mock.port) + "/v1";
    r = run_bench(
        {"-url", root, "-rate", "50", "-duration", "0.5", "-output", out, "-quiet", "-log-level", "warn"}, {},
        std::chrono::seconds(10));
    INFO(r.output);
    CHECK(r.exit_code == 2);
    CHECK(r.output.find("(404 x") != std::string::npos);
    CHECK(r.output.find("-url names the endpoint itself, e.g. " + root + "/chat/completions") !=
          std::string::npos);
    CHECK_FALSE(exists(out));
}

TEST_CASE("a direct target that answers only errors writes nothing", "[integration][loadgen]")
{
    // Overhead mode against a hosted upstream without its key gets 401s: no zeros as "direct".
    auto proxy = start_mock();
    auto direct = start_mock({"--fail-429", "100"});
    auto out = temp_file("direct_errors.json");
    expect_rejected({"-url", "http://127.0.0.1:" + std::to_string(proxy.port) + "/v1/chat/completions",
                     "-direct", "http://127.0.0.1:" + std::to_string(direct.port) + "/v1/chat/completions",
                     "-rate", "40", "-duration", "0.5", "-window", "100ms", "-output", out, "-quiet",
                     "-log-level", "warn"},
                    "no request to the direct target");
    CHECK_FALSE(exists(out));
}

TEST_CASE("merge rejects missing and foreign files", "[integration][loadgen]")
{
    auto good = temp_file("foreign.json");
    {
        std::ofstream f(good);
        f << R"({"bifrost": {"requests": 3}})";
    }
    expect_rejected({"merge", "/nonexistent/a.json", good, "-output", temp_file("m.json")}, "cannot read");
    expect_rejected({"merge", good, good, "-output", temp_file("m.json")}, "no histogram");
    expect_rejected({"merge", good}, "usage");
    expect_rejected({"merge", good, good, "-output", temp_file("m.json"), "-report"},
                    "-report needs a file name");
    std::remove(good.c_str());
}

TEST_CASE("report and summary reject what is not a results file, and print what they can of one",
          "[integration][loadgen]")
{
    auto path = temp_file("shown.json");
    auto write = [&](const char* text) {
        std::ofstream f(path, std::ios::trunc);
        f << text;
    };
    // Both read the file the same way (read_results), and refuse the same things.
    for (std::string sub : {"report", "summary"}) {
        expect_rejected({sub}, "usage: bench " + sub + " results.json");
        expect_rejected({sub, "/nonexistent/r.json"}, "cannot read /nonexistent/r.json");
        write("[1, 2]");
        expect_rejected({sub, path}, "is not a results.json object");
        write("{\"bifrost\": ");
        expect_rejected({sub, path}, "is not a results.json object");
        write("{}");
        expect_rejected({sub, path}, "has no entries");
    }
    expect_rejected({"report", path, path}, "unexpected");
    expect_rejected({"report", path, "-bogus"}, "unexpected '-bogus'");
    expect_rejected({"summary", path, path}, "usage");
    expect_rejected({"summary", "-report", path}, "usage");
    // A hand-edited file: an entry that is not one, another with fields of the wrong type. What is
    // missing prints as "-", never as 0, and nothing is refused.
    write(R"({"a": 5, "b": {"requests": "x", "success_rate": "x", "p50_latency_ms": [1], "direct": 3, )"
          R"("overhead": {"p50_ms": 7}}})");
    auto r = run_bench({"report", path}, {}, std::chrono::seconds(10));
    INFO(r.output);
    CHECK(r.exit_code == 0);
    CHECK(r.output.find("a: not a results entry (number)") != std::string::npos);
    CHECK(r.output.find("p50_ms - [-, -]") != std::string::npos);
    CHECK(r.output.find("0.000") == std::string::npos);
    r = run_bench({"summary", path}, {}, std::chrono::seconds(10));
    INFO(r.output);
    CHECK(r.exit_code == 0);
    CHECK(r.output.find("a           not a results entry (number)") != std::string::npos);
    CHECK(r.output.find("0.000") == std::string::npos);
    // A page that cannot be written: exit 1, after the tables.
    r = run_bench({"report", path, "-report", "/nonexistent/r.html"}, {}, std::chrono::seconds(10));
    CHECK(r.exit_code == 1);
    CHECK(r.output.find("bench: cannot write /nonexistent/r.html") != std::string::npos);
    std::remove(path.c_str());
}
