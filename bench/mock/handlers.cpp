// Response bodies of mock-llm.
#include "bench/mock/handlers.hpp"

#include "common/openai_error.hpp"

#include <array>
#include <cmath>
#include <cstring>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <vector>

namespace mock {
namespace {

using namespace std::string_view_literals;

// The endless prose is this paragraph repeated; it has no character that JSON escapes.
constexpr std::string_view prose =
    "The quick brown fox jumps over the lazy dog while the mock model keeps talking about latency, "
    "throughput and the careful measurement of gateways. Every token here is deterministic, so a "
    "benchmark that reads this text twice sees the same bytes, and a proxy that relays it can be "
    "checked byte for byte. Streams arrive in small pieces, one or a few tokens at a time, just as a "
    "real provider would send them over a long lived connection. ";

template <typename... Args>
void put(std::string& out, fmt::format_string<Args...> f, Args&&... args)
{
    fmt::format_to(std::back_inserter(out), f, std::forward<Args>(args)...);
}

void num(std::string& out, std::uint64_t v)
{
    fmt::format_int f(v);
    out.append(f.data(), f.size());
}

// The model is kept raw (still JSON-escaped, validated by the scanner), so it is copied as is.
void put_model(std::string& out, const answer& a)
{
    out += "\"model\":\""sv;
    out += a.model;
    out += '"';
}

void put_usage(std::string& out, const answer& a)
{
    const bool responses = a.api == route::responses;
    out += responses ? R"("usage":{"input_tokens":)"sv : R"("usage":{"prompt_tokens":)"sv;
    num(out, a.prompt_tokens);
    out += responses ? R"(,"input_tokens_details":{"cached_tokens":0},"output_tokens":)"sv
                     : R"(,"completion_tokens":)"sv;
    num(out, a.completion_tokens);
    out += responses ? R"(,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":)"sv
                     : R"(,"total_tokens":)"sv;
    num(out, a.prompt_tokens + a.completion_tokens);
    out += '}';
}

// {"id":"<id>","object":"<object>","created":<created>,
void put_id_object(std::string& out, const answer& a, std::string_view object)
{
    out += R"({"id":")"sv;
    out += a.id;
    out += R"(","object":")"sv;
    out += object;
    out += R"(","created":)"sv;
    num(out, static_cast<std::uint64_t>(a.created));
    out += ',';
}

std::uint64_t slice_begin(const answer& a, std::uint32_t k)
{
    return a.content_bytes * k / a.chunks;
}

// The whole Responses API object; `done` selects the completed or the in-progress shape.
void put_response_object(std::string& out, const answer& a, bool done)
{
    put(out,
        R"({{"id":"{}","object":"response","created_at":{},"status":"{}","error":null,"incomplete_details":null,)",
        a.id, a.created, done ? "completed" : "in_progress");
    put_model(out, a);
    out += R"(,"output":[)"sv;
    if (done) {
        put(out,
            R"({{"type":"message","id":"msg_{}","status":"completed","role":"assistant","content":[{{"type":"output_text","text":")",
            a.id.substr(5));
        append_content(out, 0, a.content_bytes);
        out += R"(","annotations":[]}]})"sv;
    }
    out += "],"sv;
    if (done)
        put_usage(out, a);
    else
        out += R"("usage":null)"sv;
    out += '}';
}

void sse_open(std::string& out)
{
    out += "data: "sv;
}
void sse_close(std::string& out)
{
    out += "\n\n"sv;
}

void chat_chunk_head(std::string& out, const answer& a)
{
    put_id_object(out, a, "chat.completion.chunk");
    put_model(out, a);
    out += R"(,"system_fingerprint":"fp_mock","choices":[{"index":0,"delta":{)"sv;
}

void chat_chunk_tail(std::string& out, const answer& a, std::string_view finish)
{
    out += R"(},"logprobs":null,"finish_reason":)"sv;
    out += finish;
    out += a.include_usage ? R"(}],"usage":null})"sv : "}]}"sv;
}

void completion_chunk(std::string& out, const answer& a, std::uint64_t from, std::uint64_t len,
                      std::string_view finish)
{
    put(out, R"({{"id":"{}","object":"text_completion","created":{},"choices":[{{"text":")", a.id, a.created);
    append_content(out, from, len);
    put(out, R"(","index":0,"logprobs":null,"finish_reason":{}}}],)", finish);
    put_model(out, a);
    out += a.include_usage ? R"(,"usage":null})"sv : "}"sv;
}

void usage_chunk(std::string& out, const answer& a)
{
    sse_open(out);
    if (a.api == route::chat) {
        put(out, R"({{"id":"{}","object":"chat.completion.chunk","created":{},)", a.id, a.created);
        put_model(out, a);
        out += R"(,"system_fingerprint":"fp_mock","choices":[],)"sv;
    } else {
        put(out, R"({{"id":"{}","object":"text_completion","created":{},"choices":[],)", a.id, a.created);
        put_model(out, a);
        out += ',';
    }
    put_usage(out, a);
    out += '}';
    sse_close(out);
}

} // namespace

void append_json_escaped(std::string& out, std::string_view s)
{
    for (char c : s) {
        auto u = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (u < 0x20) {
            put(out, "\\u{:04x}", static_cast<unsigned>(u));
        } else {
            out += c;
        }
    }
}

void make_id(std::string& out, route api, unsigned worker, std::uint64_t counter)
{
    std::string_view prefix = api == route::chat          ? "chatcmpl-"
                              : api == route::completions ? "cmpl-"
                              : api == route::responses   ? "resp_"
                                                          : "mock-";
    out.assign(prefix);
    constexpr std::string_view digits = "0123456789abcdef";
    char hex[24];
    for (int i = 7; i >= 0; --i, worker >>= 4)
        hex[i] = digits[worker & 0xF];
    for (int i = 23; i >= 8; --i, counter >>= 4)
        hex[i] = digits[counter & 0xF];
    out.append(hex, sizeof hex);
}

void append_content(std::string& out, std::uint64_t offset, std::uint64_t len)
{
    while (len > 0) {
        auto at = offset % prose.size();
        auto n = std::min<std::uint64_t>(len, prose.size() - at);
        out.append(prose.substr(at, n));
        offset += n;
        len -= n;
    }
}

void render_completion(std::string& out, const answer& a)
{
    if (a.api == route::responses) {
        put_response_object(out, a, true);
        return;
    }
    if (a.api == route::completions) {
        put_id_object(out, a, "text_completion");
        put_model(out, a);
        out += R"(,"system_fingerprint":"fp_mock","choices":[{"text":")"sv;
        append_content(out, 0, a.content_bytes);
        out += R"(","index":0,"logprobs":null,"finish_reason":"stop"}],)"sv;
        put_usage(out, a);
        out += '}';
        return;
    }
    put_id_object(out, a, "chat.completion");
    put_model(out, a);
    out += R"(,"choices":[{"index":0,"message":{"role":"assistant","content":")"sv;
    append_content(out, 0, a.content_bytes);
    out += R"(","refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"stop"}],)"sv;
    put_usage(out, a);
    out += R"(,"service_tier":"default","system_fingerprint":"fp_mock"})"sv;
}

namespace {

// RFC 4648 base64 of `bytes`, appended to `out`.
void append_base64(std::string& out, const unsigned char* bytes, std::size_t n)
{
    static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        const std::uint32_t v = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
        for (int shift : {18, 12, 6, 0})
            out += alphabet[(v >> shift) & 63];
    }
    if (const std::size_t rest = n - i; rest > 0) {
        const std::uint32_t v = (bytes[i] << 16) | (rest == 2 ? bytes[i + 1] << 8 : 0);
        out += alphabet[(v >> 18) & 63];
        out += alphabet[(v >> 12) & 63];
        out += rest == 2 ? alphabet[(v >> 6) & 63] : '=';
        out += '=';
    }
}

} // namespace

void render_embeddings(std::string& out, const answer& a, std::uint32_t inputs, unsigned dim)
{
    // A few deterministic vectors, rendered once per thread and dimension in both encodings,
    // used in turn.
    struct cache
    {
        unsigned dim = 0;
        std::array<std::string, 4> floats; // "0.001,-0.02,..."
        std::array<std::string, 4> base64; // float32 little-endian, base64
    };
    thread_local cache c;
    if (c.dim != dim) {
        c.dim = dim;
        for (std::size_t v = 0; v < c.floats.size(); ++v) {
            auto& s = c.floats[v];
            s.clear();
            std::vector<unsigned char> raw;
            raw.reserve(std::size_t{dim} * 4);
            std::uint64_t x = 0x9e3779b97f4a7c15ull * (v + 1);
            for (unsigned i = 0; i < dim; ++i) {
                x ^= x << 13, x ^= x >> 7, x ^= x << 17; // xorshift64
                double f = static_cast<double>(x % 200001) / 100000.0 - 1.0;
                put(s, "{}{:.6f}", i ? "," : "", f * 0.05);
                // The base64 form carries the same values as the text form, rounded alike.
                const float value = static_cast<float>(std::round(f * 0.05 * 1e6) / 1e6);
                std::uint32_t bits = 0;
                std::memcpy(&bits, &value, sizeof bits);
                for (int b = 0; b < 4; ++b)
                    raw.push_back(static_cast<unsigned char>(bits >> (8 * b)));
            }
            c.base64[v].clear();
            append_base64(c.base64[v], raw.data(), raw.size());
        }
    }
    out += R"({"object":"list","data":[)"sv;
    for (std::uint32_t i = 0; i < inputs; ++i) {
        put(out, R"({}{{"object":"embedding","index":{},"embedding":)", i ? "," : "", i);
        if (a.base64) {
            out += '"';
            out += c.base64[i % c.base64.size()];
            out += '"';
        } else {
            out += '[';
            out += c.floats[i % c.floats.size()];
            out += ']';
        }
        out += "}"sv;
    }
    out += "],"sv;
    put_model(out, a);
    put(out, R"(,"usage":{{"prompt_tokens":{},"total_tokens":{}}}}})", a.prompt_tokens, a.prompt_tokens);
}

void render_models(std::string& out)
{
    constexpr std::array<std::string_view, 6> ids{
        "gpt-4o-mini", "gpt-4o", "gpt-4.1-mini", "gpt-3.5-turbo", "text-embedding-3-small", "mock-model"};
    out += R"({"object":"list","data":[)"sv;
    for (std::size_t i = 0; i < ids.size(); ++i)
        put(out, R"({}{{"id":"{}","object":"model","created":1700000000,"owned_by":"mock-llm"}})",
            i ? "," : "", ids[i]);
    out += "]}"sv;
}

void render_stream_start(std::string& out, const answer& a)
{
    if (a.api == route::responses) {
        out +=
            "event: response.created\ndata: {\"type\":\"response.created\",\"sequence_number\":0,\"response\":"sv;
        put_response_object(out, a, false);
        out += "}\n\n"sv;
        return;
    }
    if (a.api == route::completions)
        return; // legacy completions have no role chunk
    sse_open(out);
    chat_chunk_head(out, a);
    out += R"("role":"assistant","content":"","refusal":null)"sv;
    chat_chunk_tail(out, a, "null");
    sse_close(out);
}

void render_stream_delta(std::string& out, const answer& a, std::uint32_t k)
{
    auto from = slice_begin(a, k);
    auto len = slice_begin(a, k + 1) - from;
    if (a.api == route::responses) {
        put(out,
            "event: response.output_text.delta\ndata: "
            "{{\"type\":\"response.output_text.delta\",\"sequence_number\":{},"
            "\"item_id\":\"msg_{}\",\"output_index\":0,\"content_index\":0,\"delta\":\"",
            k + 1, a.id.substr(5));
        append_content(out, from, len);
        out += "\"}\n\n"sv;
        return;
    }
    sse_open(out);
    if (a.api == route::completions) {
        completion_chunk(out, a, from, len, "null");
    } else {
        chat_chunk_head(out, a);
        out += R"("content":")"sv;
        append_content(out, from, len);
        out += '"';
        chat_chunk_tail(out, a, "null");
    }
    sse_close(out);
}

void render_stream_end(std::string& out, const answer& a)
{
    if (a.api == route::responses) {
        put(out,
            "event: response.completed\ndata: "
            "{{\"type\":\"response.completed\",\"sequence_number\":{},\"response\":",
            a.chunks + 1);
        put_response_object(out, a, true);
        out += "}\n\n"sv;
        return;
    }
    sse_open(out);
    if (a.api == route::completions) {
        completion_chunk(out, a, 0, 0, "\"stop\"");
    } else {
        chat_chunk_head(out, a);
        chat_chunk_tail(out, a, "\"stop\"");
    }
    sse_close(out);
    if (a.include_usage)
        usage_chunk(out, a);
    out += "data: [DONE]\n\n"sv;
}

void render_stream_malformed(std::string& out, const answer& a)
{
    put(out,
        "data: "
        "{{\"id\":\"{}\",\"object\":\"chat.completion.chunk\",\"choices\":[{{\"delta\":{{\"content\":\"\n\n",
        a.id);
}

std::string error_body(std::string_view message, std::string_view type, std::string_view param,
                       std::string_view code)
{
    nlohmann::json body;
    auto& e = body["error"];
    e["message"] = message;
    e["type"] = type;
    e["param"] = param.empty() ? nlohmann::json(nullptr) : nlohmann::json(param);
    e["code"] = code.empty() ? nlohmann::json(nullptr) : nlohmann::json(code);
    return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string error_body(const request_error& e)
{
    return error_body(e.message, common::openai_error_type(e.status), e.param, e.code);
}

std::string error_body(unsigned status, std::string_view message, std::string_view code)
{
    return error_body(message, common::openai_error_type(status), {}, code);
}

std::uint64_t fnv1a64(std::string_view bytes)
{
    std::uint64_t h = 0xcbf29ce484222325ull;
    for (unsigned char c : bytes) {
        h ^= c;
        h *= 0x100000001b3ull;
    }
    return h;
}

std::string render_echo(std::string_view method, std::string_view target,
                        const std::vector<std::pair<std::string_view, std::string_view>>& headers,
                        std::string_view body)
{
    nlohmann::json j;
    j["method"] = method;
    j["target"] = target;
    auto& h = j["headers"];
    h = nlohmann::json::array();
    for (const auto& [name, value] : headers)
        h.push_back({name, value});
    j["body_bytes"] = body.size();
    j["body_fnv1a64"] = fmt::format("{:016x}", fnv1a64(body));
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string_view blob_piece(std::uint64_t offset, std::size_t len)
{
    static const std::string pattern = [] {
        std::string s(blob_piece_max + 26, 'a');
        for (std::size_t i = 0; i < s.size(); ++i)
            s[i] = static_cast<char>('a' + i % 26);
        return s;
    }();
    return std::string_view(pattern).substr(offset % 26, std::min(len, blob_piece_max));
}

} // namespace mock
