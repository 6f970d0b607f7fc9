// mock-llm integration: SSE framing (role chunk, content, finish, include_usage, [DONE]) and
// timing (TTFT, gaps) within tolerances wide enough for a loaded 2-core CI under ASan.
#include "common/sse.hpp"
#include "tests/integration/mock_fixture.hpp"

#include <catch2/catch.hpp>

using namespace mock_test;
using nlohmann::json;

namespace {

struct timed_event
{
    std::chrono::microseconds at;
    std::string data;
};

std::vector<timed_event> events_of(const test_support::streamed_reply& s)
{
    common::sse_parser parser;
    std::vector<timed_event> out;
    for (const auto& piece : s.pieces)
        parser.feed(piece.bytes, [&](const common::sse_event& e) { out.push_back({piece.at, e.data}); });
    return out;
}

test_support::streamed_reply stream(const mock_server& m, const std::string& body,
                                    std::vector<std::pair<std::string, std::string>> headers = {})
{
    test_support::request_options o;
    o.method = "POST";
    o.target = "/v1/chat/completions";
    o.body = body;
    o.headers = std::move(headers);
    return test_support::http_request_streamed(m.port, o);
}

} // namespace

TEST_CASE("mock stream framing with include_usage", "[integration]")
{
    mock_server m({"--chunks", "5"});
    auto s = stream(m, stream_body);
    REQUIRE(s.complete);
    auto ev = events_of(s);
    // role chunk + 5 content chunks + finish chunk + usage chunk + [DONE]
    REQUIRE(ev.size() == 9);
    CHECK(ev.back().data == "[DONE]");
    auto first = json::parse(ev[0].data);
    CHECK(first["object"] == "chat.completion.chunk");
    CHECK(first["choices"][0]["delta"]["role"] == "assistant");
    std::string id = first["id"];
    std::string content;
    for (std::size_t i = 1; i <= 5; ++i) {
        auto c = json::parse(ev[i].data);
        CHECK(c["id"] == id);
        CHECK(c["model"] == "gpt-4o-mini");
        CHECK(c["choices"][0]["finish_reason"].is_null());
        CHECK(c["usage"].is_null());
        content += c["choices"][0]["delta"]["content"].get<std::string>();
    }
    CHECK(content.size() == 5 * 4);
    auto finish = json::parse(ev[6].data);
    CHECK(finish["choices"][0]["finish_reason"] == "stop");
    auto usage = json::parse(ev[7].data);
    CHECK(usage["choices"].empty());
    CHECK(usage["usage"]["completion_tokens"] == 5);
    CHECK(usage["usage"]["total_tokens"].get<int>() == usage["usage"]["prompt_tokens"].get<int>() + 5);
}

TEST_CASE("mock stream without include_usage has no usage chunk", "[integration]")
{
    mock_server m({"--chunks", "2"});
    auto s = stream(m, R"({"stream":true,"messages":[{"role":"user","content":"x"}]})");
    REQUIRE(s.complete);
    auto ev = events_of(s);
    REQUIRE(ev.size() == 1 + 2 + 1 + 1);
    for (std::size_t i = 0; i + 1 < ev.size(); ++i)
        CHECK_FALSE(json::parse(ev[i].data).contains("usage"));
}

TEST_CASE("mock stream timing: TTFT and gaps", "[integration]")
{
    // Lower bounds are exact (timers never fire early); upper bounds leave room for a loaded CI.
    constexpr auto tolerance = 400ms;
    auto check_timing = [&](const test_support::streamed_reply& s, std::chrono::milliseconds ttft,
                            std::chrono::milliseconds gap, std::size_t chunks) {
        REQUIRE(s.complete);
        auto ev = events_of(s);
        REQUIRE(ev.size() == chunks + 4); // role, content..., finish, usage, [DONE]
        CHECK(s.headers_at >= ttft - 1ms);
        CHECK(s.headers_at <= ttft + tolerance);
        for (std::size_t k = 0; k < chunks; ++k) {
            auto expected = ttft + static_cast<std::int64_t>(k) * gap;
            INFO("content chunk " << k);
            CHECK(ev[1 + k].at >= expected - 1ms);
            CHECK(ev[1 + k].at <= expected + tolerance);
        }
    };
    mock_server m({"--ttft", "150ms", "--token-gap", "60ms", "--chunks", "4"});
    check_timing(stream(m, stream_body), 150ms, 60ms, 4);
    // Per-request overrides.
    check_timing(stream(m, stream_body,
                        {{"x-mock-ttft", "50ms"}, {"x-mock-token-gap", "100ms"}, {"x-mock-chunks", "3"}}),
                 50ms, 100ms, 3);
}

TEST_CASE("mock latency applies to JSON answers, and is the default TTFT", "[integration]")
{
    mock_server m({"--latency", "120ms"});
    auto start = std::chrono::steady_clock::now();
    REQUIRE(m.post("/v1/chat/completions", chat_body).status == 200);
    auto took = std::chrono::steady_clock::now() - start;
    CHECK(took >= 120ms);
    CHECK(took < 120ms + 400ms);
    auto s = stream(m, stream_body);
    CHECK(s.headers_at >= 119ms);
    start = std::chrono::steady_clock::now();
    REQUIRE(m.post("/v1/chat/completions", chat_body, {{"x-mock-latency", "0"}}).status == 200);
    CHECK(std::chrono::steady_clock::now() - start < 110ms);
}

TEST_CASE("mock streams of completions and responses", "[integration]")
{
    mock_server m({"--chunks", "3"});
    test_support::request_options o;
    o.method = "POST";
    o.target = "/v1/completions";
    o.body = R"({"model":"m","prompt":"x","stream":true})";
    auto ev = events_of(test_support::http_request_streamed(m.port, o));
    REQUIRE(ev.size() == 3 + 1 + 1);
    CHECK(json::parse(ev[0].data)["object"] == "text_completion");
    CHECK(ev.back().data == "[DONE]");
    o.target = "/v1/responses";
    o.body = R"({"model":"m","input":"x","stream":true})";
    ev = events_of(test_support::http_request_streamed(m.port, o));
    REQUIRE(ev.size() == 1 + 3 + 1);
    CHECK(json::parse(ev[0].data)["type"] == "response.created");
    CHECK(json::parse(ev[1].data)["type"] == "response.output_text.delta");
    CHECK(json::parse(ev.back().data)["type"] == "response.completed");
}

TEST_CASE("mock: an HTTP/1.0 client gets streams and chunked blobs without Transfer-Encoding",
          "[integration]")
{
    // RFC 9112 6.1: no Transfer-Encoding in a response to HTTP/1.0. The body ends at the close,
    // even when the client asked for keep-alive.
    mock_server m;
    const std::string body = R"({"model":"m","stream":true,"messages":[{"role":"user","content":"hi"}]})";
    auto split = [](const std::string& raw) {
        auto end = raw.find("\r\n\r\n");
        REQUIRE(end != std::string::npos);
        return std::pair{raw.substr(0, end + 2), raw.substr(end + 4)};
    };
    auto [head, rest] = split(test_support::raw_request(
        m.port,
        "POST /v1/chat/completions HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\nContent-Length: " +
            std::to_string(body.size()) + "\r\n\r\n" + body));
    INFO(head);
    CHECK(head.rfind("HTTP/1.1 200 ", 0) == 0);
    CHECK(head.find("Transfer-Encoding") == std::string::npos);
    CHECK(head.find("Content-Length") == std::string::npos);
    CHECK(head.find("\r\nConnection: close\r\n") != std::string::npos);
    CHECK(rest.rfind("data: {", 0) == 0);
    REQUIRE(rest.size() >= 14);
    CHECK(rest.substr(rest.size() - 14) == "data: [DONE]\n\n");

    auto [blob_head, blob] = split(
        test_support::raw_request(m.port, "GET /v1/blob?bytes=40000&chunked=1 HTTP/1.0\r\nHost: x\r\n\r\n"));
    CHECK(blob_head.find("Transfer-Encoding") == std::string::npos);
    CHECK(blob.size() == 40000);

    // HTTP/1.1 keeps its chunks.
    auto [head11, rest11] = split(test_support::raw_request(
        m.port, "GET /v1/blob?bytes=10&chunked=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
    CHECK(head11.find("\r\nTransfer-Encoding: chunked\r\n") != std::string::npos);
    CHECK(rest11.rfind("a\r\n", 0) == 0);
}
