// mock-llm integration: every endpoint under every prefix, echo, blob, /stats and keep-alive.
#include "common/sse.hpp"
#include "tests/integration/mock_fixture.hpp"

#include <catch2/catch.hpp>
#include <csignal>
#include <cstring>
#include <vector>

using namespace mock_test;
using nlohmann::json;

TEST_CASE("mock answers every model endpoint under every prefix", "[integration]")
{
    mock_server m({"--embedding-dim", "8"});
    for (const auto& p : prefixes) {
        INFO("prefix '" << p << "'");
        auto r = m.post(p + "/chat/completions", chat_body);
        REQUIRE(r.status == 200);
        CHECK(r.header("content-type") == "application/json");
        auto j = json::parse(r.body);
        CHECK(j["object"] == "chat.completion");
        CHECK(j["model"] == "gpt-4o-mini");
        CHECK(j["id"].get<std::string>().rfind("chatcmpl-", 0) == 0);
        CHECK(j["created"].get<std::int64_t>() > 1600000000);
        CHECK(j["choices"][0]["finish_reason"] == "stop");
        CHECK(j["usage"]["prompt_tokens"].get<int>() > 0);
        CHECK(j["usage"]["completion_tokens"] == 8);

        j = json::parse(m.post(p + "/completions", R"({"model":"m1","prompt":"Say this"})").body);
        CHECK(j["object"] == "text_completion");
        CHECK(j["model"] == "m1");
        CHECK(!j["choices"][0]["text"].get<std::string>().empty());

        j = json::parse(m.post(p + "/embeddings", R"({"model":"e","input":["a","b"]})").body);
        CHECK(j["object"] == "list");
        REQUIRE(j["data"].size() == 2);
        CHECK(j["data"][1]["embedding"].size() == 8);

        j = json::parse(m.post(p + "/responses", R"({"model":"r","input":"hello"})").body);
        CHECK(j["object"] == "response");
        CHECK(j["status"] == "completed");
        CHECK(j["usage"]["output_tokens"] == 8);

        auto models = m.get(p + "/models");
        REQUIRE(models.status == 200);
        CHECK(json::parse(models.body)["data"].size() >= 1);
    }
    auto h = m.get("/healthz");
    CHECK(h.status == 200);
    CHECK(json::parse(h.body)["status"] == "ok");
}

namespace {
// Decodes RFC 4648 base64 (no line breaks) into bytes.
std::vector<unsigned char> decode_base64(const std::string& text)
{
    static const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::vector<unsigned char> out;
    std::uint32_t acc = 0;
    int bits = 0;
    for (char ch : text) {
        if (ch == '=')
            break;
        auto v = alphabet.find(ch);
        REQUIRE(v != std::string::npos);
        acc = (acc << 6) | static_cast<std::uint32_t>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<unsigned char>((acc >> bits) & 0xff));
        }
    }
    return out;
}
} // namespace

TEST_CASE("mock embeddings in base64 carry the same float32 vector as the float form", "[integration]")
{
    // The openai SDKs ask for encoding_format=base64 by default and decode little-endian float32.
    mock_server m({"--embedding-dim", "7"});
    auto floats = json::parse(m.post("/v1/embeddings", R"({"model":"e","input":"a"})").body);
    auto b64 =
        json::parse(m.post("/v1/embeddings", R"({"model":"e","input":"a","encoding_format":"base64"})").body);
    REQUIRE(b64["data"][0]["embedding"].is_string());
    auto bytes = decode_base64(b64["data"][0]["embedding"].get<std::string>());
    REQUIRE(bytes.size() == 7 * 4);
    for (std::size_t i = 0; i < 7; ++i) {
        std::uint32_t u = 0;
        for (int b = 0; b < 4; ++b)
            u |= static_cast<std::uint32_t>(bytes[i * 4 + b]) << (8 * b);
        float f = 0;
        std::memcpy(&f, &u, sizeof f);
        CHECK(f == Approx(floats["data"][0]["embedding"][i].get<double>()).margin(1e-6));
    }
    auto explicit_float =
        json::parse(m.post("/v1/embeddings", R"({"model":"e","input":"a","encoding_format":"float"})").body);
    CHECK(explicit_float["data"][0]["embedding"].size() == 7);
}

TEST_CASE("mock streams under every prefix", "[integration]")
{
    mock_server m;
    for (const auto& p : prefixes) {
        INFO("prefix '" << p << "'");
        auto r = m.post(p + "/chat/completions", stream_body);
        REQUIRE(r.status == 200);
        CHECK(r.header("content-type").rfind("text/event-stream", 0) == 0);
        CHECK(r.header("transfer-encoding") == "chunked");
        CHECK(r.body.find("data: [DONE]\n\n") != std::string::npos);
    }
}

TEST_CASE("mock knobs: response size, big payload, chunks and tokens", "[integration]")
{
    mock_server m({"--chunks", "3", "--tokens-per-chunk", "5"});
    auto j = json::parse(m.post("/v1/chat/completions", chat_body).body);
    CHECK(j["usage"]["completion_tokens"] == 15);
    j = json::parse(m.post("/v1/chat/completions", chat_body, {{"x-mock-response-bytes", "5000"}}).body);
    CHECK(j["choices"][0]["message"]["content"].get<std::string>().size() == 5000);
    j = json::parse(
        m.post("/v1/chat/completions", R"({"max_tokens":2,"messages":[{"role":"user","content":"x"}]})")
            .body);
    CHECK(j["usage"]["completion_tokens"] == 2);

    mock_server big({"--big-payload"});
    j = json::parse(big.post("/v1/chat/completions", chat_body).body);
    auto size = j["choices"][0]["message"]["content"].get<std::string>().size();
    CHECK(size >= 9000);
    CHECK(size <= 11000);
}

TEST_CASE("mock echo shows what reached it, byte for byte", "[integration]")
{
    mock_server m;
    std::string body("\x00\x01binary\xff body", 14);
    for (const auto& p : prefixes) {
        test_support::request_options o;
        o.method = "PUT";
        o.target = p + "/echo?x=1";
        o.body = body;
        o.headers = {{"X-Custom", "Value 1"}, {"Authorization", "Bearer sk-test"}};
        auto r = test_support::http_request(m.port, o);
        REQUIRE(r.status == 200);
        auto j = json::parse(r.body);
        CHECK(j["method"] == "PUT");
        CHECK(j["target"] == p + "/echo?x=1");
        CHECK(j["body_bytes"] == body.size());
        // FNV-1a 64 computed here independently.
        std::uint64_t h = 0xcbf29ce484222325ull;
        for (unsigned char c : body)
            h = (h ^ c) * 0x100000001b3ull;
        char hex[17];
        std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
        CHECK(j["body_fnv1a64"] == hex);
        bool custom = false;
        for (const auto& pair : j["headers"])
            custom = custom || (pair[0] == "X-Custom" && pair[1] == "Value 1");
        CHECK(custom);
    }
}

TEST_CASE("mock blob: content-length, chunked, and gaps", "[integration]")
{
    mock_server m;
    auto expected = [](std::size_t n) {
        std::string s(n, 'a');
        for (std::size_t i = 0; i < n; ++i)
            s[i] = static_cast<char>('a' + i % 26);
        return s;
    };
    auto r = m.get("/v1/blob?bytes=100000");
    REQUIRE(r.status == 200);
    CHECK(r.header("content-length") == "100000");
    CHECK(r.body == expected(100000));
    r = m.get("/api/v1/blob?bytes=40000&chunked=1");
    CHECK(r.header("transfer-encoding") == "chunked");
    CHECK(r.body == expected(40000));
    r = m.get("/blob?bytes=0");
    CHECK(r.body.empty());

    test_support::request_options o;
    o.target = "/blob?bytes=49152&chunked=1&gap=100ms"; // three 16 KiB pieces, two gaps
    auto s = test_support::http_request_streamed(m.port, o);
    REQUIRE(s.complete);
    CHECK(s.head.body == expected(49152));
    CHECK(s.pieces.back().at >= 195ms);
    CHECK(m.get("/blob?bytes=lots").status == 400);
}

TEST_CASE("mock /stats counts requests by route and status, and connection reuse", "[integration]")
{
    mock_server m;
    {
        test_support::http_connection c(m.port);
        test_support::request_options o;
        o.method = "POST";
        o.target = "/v1/chat/completions";
        o.body = chat_body;
        for (int i = 0; i < 5; ++i)
            REQUIRE(c.request(o).status == 200);
        o.body = "{";
        REQUIRE(c.request(o).status == 400);
        o.body = stream_body;
        auto s = c.request(o); // keep-alive holds after a chunked stream too
        REQUIRE(s.status == 200);
        CHECK(s.keep_alive);
        o.method = "GET";
        o.target = "/stats";
        o.body.clear();
        auto j = json::parse(c.request(o).body);
        CHECK(j["requests"]["chat/completions"]["200"] == 6);
        CHECK(j["requests"]["chat/completions"]["400"] == 1);
        CHECK(j["requests_total"] == 7);
        CHECK(j["accepted_connections"] == 1);
        CHECK(j["open_connections"] == 1);
    }
    m.get("/nope");
    auto j = m.stats();
    CHECK(j["requests"]["unknown"]["404"] == 1);
    CHECK(j["requests"]["stats"]["200"] == 1);
    CHECK(j["accepted_connections"] == 3);
    test_support::request_options reset;
    reset.method = "POST";
    reset.target = "/stats/reset";
    REQUIRE(test_support::http_request(m.port, reset).status == 200);
    j = m.stats();
    CHECK(j["requests_total"] == 0);
    CHECK(j["requests"].empty());
}

TEST_CASE("mock with several worker threads", "[integration]")
{
    mock_server m({"--threads", "3"});
    for (int i = 0; i < 12; ++i)
        REQUIRE(m.post("/v1/chat/completions", chat_body).status == 200);
    auto j = m.stats();
    CHECK(j["requests"]["chat/completions"]["200"] == 12);
    CHECK(j["accepted_connections"] == 13);
}

TEST_CASE("mock reads its configuration from the environment", "[integration]")
{
    mock_server m({}, {{"MOCK_CHUNKS", "2"}, {"MOCK_TOKENS_PER_CHUNK", "3"}});
    auto j = json::parse(m.post("/v1/chat/completions", chat_body).body);
    CHECK(j["usage"]["completion_tokens"] == 6);
}

TEST_CASE("mock exits 2 on a bad command line, 1 on a busy port, 0 on SIGTERM", "[integration]")
{
    test_support::child_process bad(test_support::program_path("mock-llm"), {"--port", "x"});
    CHECK(bad.wait_exit(5s) == 2);
    mock_server m;
    // A port already listened on is refused (SO_REUSEPORT must not let a second mock share it).
    test_support::child_process second(test_support::program_path("mock-llm"),
                                       mock_server::with_defaults({"--port", std::to_string(m.port)}));
    CHECK(second.wait_exit(5s) == 1);
    m.proc.send_signal(SIGTERM);
    CHECK(m.proc.wait_exit(5s) == 0);
}
