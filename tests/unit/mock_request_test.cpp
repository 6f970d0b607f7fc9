// mock-llm request reading (JSON scanner, required fields, token estimate), routes, and the
// shapes of rendered bodies (checked with nlohmann).
#include "bench/mock/handlers.hpp"
#include "bench/mock/json_scan.hpp"
#include "bench/mock/request_info.hpp"
#include "bench/mock/routes.hpp"
#include "bench/mock/stats.hpp"
#include "common/sse.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using mock::route;
using nlohmann::json;

namespace {

struct null_handler
{
    void begin_object() {}
    void end_object() {}
    void begin_array() {}
    void end_array() {}
    void key(std::string_view) {}
    void string(std::string_view) {}
    void number(std::string_view, bool) {}
    void literal(char) {}
};

bool scan_ok(std::string_view text)
{
    null_handler h;
    return mock::json_scanner<null_handler>(text, h).scan();
}

} // namespace

TEST_CASE("json scanner agrees with nlohmann on valid and invalid documents", "[unit]")
{
    const std::vector<std::string> docs{
        "{}", "[]", " {\"a\" : [1, -2.5e+3, true, false, null, \"x\\n\\u00e9\"]} ", "\"str\"", "0", "-0.1",
        "{\"a\":{\"b\":{\"c\":[[[]]]}}}", "\"\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\"", "[1,2,3]",
        // invalid
        "", " ", "{", "}", "{\"a\":}", "{\"a\" 1}", "{a:1}", "[1,]", "[,1]", "{\"a\":1,}", "01", "1.", ".5",
        "1e", "+1", "tru", "nul", "\"abc", "\"\\x\"", "\"\\u12g4\"", "\"a\tb\"", "[1] [2]", "{}x",
        "\"\xC0\xAF\"", "\"\xED\xA0\x80\"", "\"\xF5\x80\x80\x80\"", "\"\x80\"", "\"\xE2\x82\"", "NaN",
        "[\"a\" \"b\"]",
        // surrogate escapes: a pair is one character, a lone or reversed one none (found by tests/fuzz)
        "\"\\ud83d\\ude00\"", "\"\\uD83D\\uDE00x\"", "\"\\ude00\"", "\"\\ud83d\"", "\"\\ud83dx\"",
        "\"\\ud83d\\u0041\"", "\"\\ude00\\ud83d\"", "\"\\ud83d\\ud83d\"", "\"\\ud83d\\\"",
        "\"\\ud83d\\ude0\""};
    for (const auto& d : docs) {
        INFO(d);
        CHECK(scan_ok(d) == json::accept(d));
    }
    CHECK_FALSE(scan_ok(std::string(1000, '[') + std::string(1000, ']'))); // too deep
}

TEST_CASE("request reading: chat fields and token estimate", "[unit]")
{
    mock::request_info info;
    auto err =
        mock::parse_request(route::chat,
                            R"({"model":"gpt-4o-mini","stream":true,"stream_options":{"include_usage":true},
                                       "max_tokens":5,"messages":[{"role":"system","content":"abcd"},
                                       {"role":"user","content":[{"type":"text","text":"efgh"}]}]})",
                            info);
    REQUIRE_FALSE(err);
    CHECK(info.model == "gpt-4o-mini");
    CHECK(info.stream);
    CHECK(info.include_usage);
    CHECK(info.messages == 2);
    REQUIRE(info.max_tokens);
    CHECK(*info.max_tokens == 5);
    // strings under messages: system(6) abcd(4) user(4) text(4) efgh(4) = 22 chars -> 6 tokens,
    // plus 3 per message and 3 for the reply.
    CHECK(info.prompt_chars == 22);
    CHECK(mock::estimate_prompt_tokens(info) == 6 + 2 * 3 + 3);
    mock::request_info empty;
    CHECK(mock::estimate_prompt_tokens(empty) == 1);
}

TEST_CASE("request reading: OpenAI's errors", "[unit]")
{
    auto error_of = [](route r, std::string_view body) {
        mock::request_info info;
        return mock::parse_request(r, body, info);
    };
    auto e = error_of(route::chat, "not json");
    REQUIRE(e);
    CHECK(e->status == 400);
    CHECK(e->message.find("could not parse the JSON body") != std::string::npos);
    e = error_of(route::chat, R"({"model":"m"})");
    REQUIRE(e);
    CHECK(e->param == "messages");
    CHECK(e->code == "missing_required_parameter");
    e = error_of(route::chat, R"({"messages":null})");
    REQUIRE(e);
    CHECK(e->code == "missing_required_parameter");
    e = error_of(route::chat, R"({"messages":"hi"})");
    REQUIRE(e);
    CHECK(e->code == "invalid_type");
    e = error_of(route::chat, R"({"messages":[]})");
    REQUIRE(e);
    CHECK(e->code == "empty_array");
    e = error_of(route::chat, R"([{"messages":[]}])");
    REQUIRE(e);
    CHECK(e->status == 400);
    e = error_of(route::embeddings, R"({"model":"m"})");
    REQUIRE(e);
    CHECK(e->param == "input");
    CHECK_FALSE(error_of(route::completions, R"({"prompt":"x"})"));
    CHECK_FALSE(error_of(route::responses, R"({"input":"x"})"));
}

TEST_CASE("request reading: embedding inputs", "[unit]")
{
    auto inputs = [](std::string_view body) {
        mock::request_info info;
        REQUIRE_FALSE(mock::parse_request(route::embeddings, body, info));
        return info.inputs;
    };
    CHECK(inputs(R"({"input":"one"})") == 1);
    CHECK(inputs(R"({"input":["a","b","c"]})") == 3);
    CHECK(inputs(R"({"input":[1,2,3]})") == 1);
    CHECK(inputs(R"({"input":[[1,2],[3]]})") == 2);
}

TEST_CASE("routes under every prefix", "[unit]")
{
    for (std::string prefix : {"", "/v1", "/api/v1", "/v1/proxy"}) {
        INFO(prefix);
        CHECK(mock::match_route("POST", prefix + "/chat/completions").route == route::chat);
        CHECK(mock::match_route("POST", prefix + "/completions").route == route::completions);
        CHECK(mock::match_route("POST", prefix + "/embeddings").route == route::embeddings);
        CHECK(mock::match_route("POST", prefix + "/responses").route == route::responses);
        CHECK(mock::match_route("GET", prefix + "/models").route == route::models);
        CHECK(mock::match_route("PUT", prefix + "/echo").method_allowed);
        const std::string blob_target = prefix + "/blob?bytes=10&chunked=1"; // query views into it
        auto blob = mock::match_route("GET", blob_target);
        CHECK(blob.route == route::blob);
        CHECK(blob.query == "bytes=10&chunked=1");
    }
    CHECK(mock::match_route("GET", "/healthz").route == route::healthz);
    CHECK(mock::match_route("GET", "/stats").route == route::stats);
    CHECK(mock::match_route("POST", "/stats/reset").route == route::stats_reset);
    CHECK(mock::match_route("GET", "http://host:1/v1/models").route == route::models);
    auto wrong = mock::match_route("GET", "/v1/chat/completions");
    CHECK(wrong.route == route::chat);
    CHECK_FALSE(wrong.method_allowed);
    CHECK(mock::match_route("POST", "/v2/chat/completions").route == route::unknown);
    CHECK(mock::match_route("POST", "/v1/chat/completions/x").route == route::unknown);
    std::string_view v;
    CHECK(mock::query_param("bytes=10&gap=5ms", "gap", v));
    CHECK(v == "5ms");
    CHECK_FALSE(mock::query_param("bytes=10", "gap", v));
}

TEST_CASE("rendered bodies are valid OpenAI-shaped JSON", "[unit]")
{
    mock::answer a;
    std::string id;
    mock::make_id(id, route::chat, 3, 77);
    CHECK(id == "chatcmpl-00000003000000000000004d");
    a.id = id;
    a.created = 1700000000;
    a.model = R"(my\"model)"; // raw JSON content, copied as is
    a.content_bytes = 1000;
    a.chunks = 7;
    a.prompt_tokens = 12;
    a.completion_tokens = 250;
    a.include_usage = true;

    std::string out;
    mock::render_completion(out, a);
    auto j = json::parse(out);
    CHECK(j["object"] == "chat.completion");
    CHECK(j["model"] == "my\"model");
    CHECK(j["choices"][0]["message"]["content"].get<std::string>().size() == 1000);
    CHECK(j["choices"][0]["finish_reason"] == "stop");
    CHECK(j["usage"]["total_tokens"] == 262);

    // Stream: role chunk, 7 content chunks, finish chunk, usage chunk, [DONE].
    out.clear();
    mock::render_stream_start(out, a);
    for (std::uint32_t k = 0; k < a.chunks; ++k)
        mock::render_stream_delta(out, a, k);
    mock::render_stream_end(out, a);
    common::sse_parser parser;
    std::vector<std::string> data;
    parser.feed(out, [&](const common::sse_event& e) { data.push_back(e.data); });
    REQUIRE(data.size() == 1 + 7 + 1 + 1 + 1);
    CHECK(data.back() == "[DONE]");
    std::string content;
    for (std::size_t i = 0; i + 1 < data.size(); ++i) {
        auto c = json::parse(data[i]);
        CHECK(c["object"] == "chat.completion.chunk");
        if (i >= 1 && i <= 7)
            content += c["choices"][0]["delta"]["content"].get<std::string>();
    }
    CHECK(content.size() == 1000);
    auto usage = json::parse(data[data.size() - 2]);
    CHECK(usage["choices"].empty());
    CHECK(usage["usage"]["completion_tokens"] == 250);

    a.api = route::completions;
    out.clear();
    mock::render_completion(out, a);
    CHECK(json::parse(out)["object"] == "text_completion");
    a.api = route::responses;
    out.clear();
    mock::render_completion(out, a);
    j = json::parse(out);
    CHECK(j["object"] == "response");
    CHECK(j["output"][0]["content"][0]["text"].get<std::string>().size() == 1000);
    a.api = route::embeddings;
    out.clear();
    mock::render_embeddings(out, a, 3, 16);
    j = json::parse(out);
    CHECK(j["data"].size() == 3);
    CHECK(j["data"][2]["embedding"].size() == 16);
    out.clear();
    mock::render_models(out);
    CHECK(json::parse(out)["data"].size() >= 1);
}

TEST_CASE("echo body and blob bytes", "[unit]")
{
    std::vector<std::pair<std::string_view, std::string_view>> headers{{"Host", "x"}, {"X-A", "1"}};
    auto j = json::parse(mock::render_echo("POST", "/v1/echo?q=1", headers, "hello"));
    CHECK(j["method"] == "POST");
    CHECK(j["target"] == "/v1/echo?q=1");
    CHECK(j["headers"][1][0] == "X-A");
    CHECK(j["body_bytes"] == 5);
    CHECK(j["body_fnv1a64"] == "a430d84680aabd0b"); // FNV-1a 64 of "hello"
    CHECK(mock::blob_piece(0, 3) == "abc");
    CHECK(mock::blob_piece(27, 3) == "bcd");
    CHECK(mock::blob_piece(0, 1 << 20).size() == mock::blob_piece_max);
}

TEST_CASE("stats JSON sums workers and resets", "[unit]")
{
    mock::stats_registry reg(2);
    reg.worker(0).count(route::chat, 200);
    reg.worker(1).count(route::chat, 200);
    reg.worker(1).count(route::chat, 429);
    reg.worker(0).connection_opened();
    reg.worker(1).connection_opened();
    reg.worker(1).connection_closed();
    auto j = json::parse(reg.to_json());
    CHECK(j["requests_total"] == 3);
    CHECK(j["requests"]["chat/completions"]["200"] == 2);
    CHECK(j["requests"]["chat/completions"]["429"] == 1);
    CHECK(j["open_connections"] == 1);
    CHECK(j["accepted_connections"] == 2);
    reg.reset();
    j = json::parse(reg.to_json());
    CHECK(j["requests_total"] == 0);
    CHECK(j["accepted_connections"] == 0);
    CHECK(j["open_connections"] == 1);
}
