// mock-llm integration: every failure mode (by header and by percentage), per-key rules and
// the periodic stall.
#include "common/sse.hpp"
#include "tests/integration/mock_fixture.hpp"

#include <catch2/catch.hpp>
#include <thread>

using namespace mock_test;
using nlohmann::json;

namespace {

test_support::streamed_reply post_streamed(const mock_server& m, const std::string& body,
                                           std::vector<std::pair<std::string, std::string>> headers,
                                           std::chrono::milliseconds timeout = 5s)
{
    test_support::request_options o;
    o.method = "POST";
    o.target = "/v1/chat/completions";
    o.body = body;
    o.headers = std::move(headers);
    o.timeout = timeout;
    return test_support::http_request_streamed(m.port, o);
}

} // namespace

TEST_CASE("mock failure: 500, 429 with Retry-After, 503", "[integration]")
{
    mock_server m({"--retry-after", "7"});
    auto r = m.post("/v1/chat/completions", chat_body, {{"x-mock-fail", "500"}});
    CHECK(r.status == 500);
    CHECK(json::parse(r.body)["error"]["type"] == "server_error");
    r = m.post("/v1/chat/completions", chat_body, {{"x-mock-fail", "429"}});
    CHECK(r.status == 429);
    CHECK(r.header("retry-after") == "7");
    CHECK(json::parse(r.body)["error"]["code"] == "rate_limit_exceeded");
    r = m.post("/v1/chat/completions", chat_body, {{"x-mock-fail", "503"}});
    CHECK(r.status == 503);
    CHECK(json::parse(r.body)["error"].contains("message"));
    // errors keep the connection usable
    CHECK(r.keep_alive);
}

TEST_CASE("mock failure: reset", "[integration]")
{
    mock_server m;
    CHECK_THROWS(m.post("/v1/chat/completions", chat_body, {{"x-mock-fail", "reset"}}));
    CHECK(m.post("/v1/chat/completions", chat_body).status == 200);
    CHECK(m.stats()["requests"]["chat/completions"]["0"] == 1);
}

TEST_CASE("mock failure: hang until the client gives up, without stalling others", "[integration]")
{
    mock_server m;
    auto start = std::chrono::steady_clock::now();
    CHECK_THROWS(m.post("/v1/chat/completions", chat_body, {{"x-mock-fail", "hang"}}, 300ms));
    CHECK(std::chrono::steady_clock::now() - start >= 300ms);
    CHECK(m.post("/v1/chat/completions", chat_body).status == 200);
    // The hung connection was closed by the client; the server let go of it.
    auto deadline = std::chrono::steady_clock::now() + 2s;
    while (m.stats()["open_connections"] != 1 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(20ms);
    CHECK(m.stats()["open_connections"] == 1);
}

TEST_CASE("mock failure: cut JSON body and cut stream", "[integration]")
{
    mock_server m({"--chunks", "6"});
    auto s = post_streamed(m, chat_body, {{"x-mock-fail", "cut"}});
    CHECK(s.head.status == 200);
    CHECK_FALSE(s.complete);
    CHECK(s.head.body.size() < std::stoul(s.head.header("content-length")));
    s = post_streamed(m, stream_body, {{"x-mock-fail", "cut"}});
    CHECK(s.head.status == 200);
    CHECK_FALSE(s.complete);
    CHECK(s.head.body.find("data: ") != std::string::npos);
    CHECK(s.head.body.find("[DONE]") == std::string::npos);
}

TEST_CASE("mock failure: malformed JSON body and malformed stream event", "[integration]")
{
    mock_server m({"--chunks", "4"});
    auto r = m.post("/v1/chat/completions", chat_body, {{"x-mock-fail", "malformed"}});
    CHECK(r.status == 200);
    CHECK_FALSE(json::accept(r.body));
    auto s = post_streamed(m, stream_body, {{"x-mock-fail", "malformed"}});
    REQUIRE(s.complete);
    common::sse_parser parser;
    int bad = 0;
    parser.feed(s.head.body,
                [&](const common::sse_event& e) { bad += e.data != "[DONE]" && !json::accept(e.data); });
    CHECK(bad == 1);
}

TEST_CASE("mock failure percentages from flags", "[integration]")
{
    mock_server all({"--fail-503", "100"});
    for (int i = 0; i < 5; ++i)
        CHECK(all.post("/v1/chat/completions", chat_body).status == 503);
    CHECK(all.post("/v1/chat/completions", chat_body, {{"x-mock-fail", "none"}}).status == 200);

    mock_server half({"--fail-500", "50", "--seed", "1"});
    int failed = 0;
    for (int i = 0; i < 200; ++i)
        failed += half.post("/v1/chat/completions", chat_body).status == 500;
    CHECK(failed > 60);
    CHECK(failed < 140);
    // Endpoints other than the model routes never fail.
    CHECK(all.get("/healthz").status == 200);
    CHECK(all.get("/v1/models").status == 200);
}

TEST_CASE("mock per-key rules", "[integration]")
{
    mock_server m({"--key-rule", "sk-limited=429", "--key-rule", "sk-slow=latency:200ms"});
    CHECK(m.post("/v1/chat/completions", chat_body, {{"Authorization", "Bearer sk-limited"}}).status == 429);
    CHECK(m.post("/v1/chat/completions", chat_body, {{"x-api-key", "sk-limited"}}).status == 429);
    CHECK(m.post("/v1/chat/completions", chat_body, {{"Authorization", "Bearer sk-other"}}).status == 200);
    auto start = std::chrono::steady_clock::now();
    CHECK(m.post("/v1/chat/completions", chat_body, {{"Authorization", "Bearer sk-slow"}}).status == 200);
    CHECK(std::chrono::steady_clock::now() - start >= 200ms);
    start = std::chrono::steady_clock::now();
    CHECK(m.post("/v1/chat/completions", chat_body).status == 200);
    CHECK(std::chrono::steady_clock::now() - start < 190ms);
}

TEST_CASE("mock periodic stall: every Nth request is held", "[integration]")
{
    mock_server m({"--stall-every", "3", "--stall-for", "300ms"});
    test_support::http_connection c(m.port);
    test_support::request_options o;
    o.method = "POST";
    o.target = "/v1/chat/completions";
    o.body = chat_body;
    for (int i = 1; i <= 6; ++i) {
        auto start = std::chrono::steady_clock::now();
        REQUIRE(c.request(o).status == 200);
        auto took = std::chrono::steady_clock::now() - start;
        INFO("request " << i);
        if (i % 3 == 0)
            CHECK(took >= 300ms);
        else
            CHECK(took < 290ms);
    }
}
