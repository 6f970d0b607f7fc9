// Request dispatch: routes, x-mock-* overrides, failure decisions, prepared responses.
#include "bench/mock/dispatch.hpp"

#include "bench/mock/request_info.hpp"
#include "bench/mock/worker.hpp"
#include "common/http_headers.hpp"
#include "common/units.hpp"

#include <ctime>
#include <fmt/format.h>
#include <optional>

namespace mock {
namespace {

using namespace std::string_view_literals;

using ns = std::chrono::nanoseconds;
constexpr std::string_view json_type = "application/json";

// Per-request knobs from x-mock-* headers, and the caller's API key.
struct overrides
{
    std::optional<ns> latency, ttft, token_gap;
    std::optional<std::uint32_t> chunks;
    std::optional<failure_kind> fail;
    std::optional<std::uint64_t> response_bytes;
    std::string_view api_key;
    std::string error; // set when a header is invalid
};

bool iprefix(std::string_view s, std::string_view lower_prefix)
{
    if (s.size() < lower_prefix.size())
        return false;
    for (std::size_t i = 0; i < lower_prefix.size(); ++i)
        if (static_cast<char>(s[i] | 0x20) != lower_prefix[i])
            return false;
    return true;
}

std::optional<ns> header_duration(std::string_view v)
{
    return common::parse_duration(v, common::bare_unit::milliseconds);
}

// One pass over the headers; only names starting with "x-mock-" or naming a key are examined.
overrides read_overrides(const request_view& req)
{
    using common::iequals;
    overrides o;
    for (const auto& [name, value] : req.headers) {
        if (iequals(name, "authorization")) {
            if (iprefix(value, "bearer "))
                o.api_key = value.substr(7);
            continue;
        }
        if (iequals(name, "x-api-key") || iequals(name, "api-key")) {
            o.api_key = value;
            continue;
        }
        if (!iprefix(name, "x-mock-"))
            continue;
        auto knob = name.substr(7);
        bool ok = true;
        if (iequals(knob, "latency"))
            ok = (o.latency = header_duration(value)).has_value();
        else if (iequals(knob, "ttft"))
            ok = (o.ttft = header_duration(value)).has_value();
        else if (iequals(knob, "token-gap"))
            ok = (o.token_gap = header_duration(value)).has_value();
        else if (iequals(knob, "fail"))
            ok = (o.fail = parse_failure_kind(value)).has_value();
        else if (iequals(knob, "response-bytes")) {
            auto s = common::parse_size(value);
            ok = s && *s <= 256ull * 1024 * 1024;
            o.response_bytes = s;
        } else if (iequals(knob, "chunks")) {
            auto n = common::parse_count(value);
            ok = n && *n >= 1 && *n <= 1e6 && *n == static_cast<double>(static_cast<std::uint32_t>(*n));
            if (ok)
                o.chunks = static_cast<std::uint32_t>(*n);
        }
        if (!ok && o.error.empty())
            o.error = fmt::format("Invalid {} header: '{}'", name, value);
    }
    return o;
}

std::string_view status_line(unsigned status)
{
    switch (status) {
    case 200:
        return "HTTP/1.1 200 OK\r\n";
    case 400:
        return "HTTP/1.1 400 Bad Request\r\n";
    case 404:
        return "HTTP/1.1 404 Not Found\r\n";
    case 405:
        return "HTTP/1.1 405 Method Not Allowed\r\n";
    case 413:
        return "HTTP/1.1 413 Payload Too Large\r\n";
    case 429:
        return "HTTP/1.1 429 Too Many Requests\r\n";
    case 431:
        return "HTTP/1.1 431 Request Header Fields Too Large\r\n";
    case 503:
        return "HTTP/1.1 503 Service Unavailable\r\n";
    default:
        return "HTTP/1.1 500 Internal Server Error\r\n";
    }
}

answer make_answer(worker& w, response_buffers& out, route r, const request_info& info, const overrides& o)
{
    const auto& cfg = w.shared.config;
    answer a;
    a.api = r;
    make_id(out.id, r, w.index, ++w.ids);
    a.id = out.id;
    a.created = static_cast<std::int64_t>(std::time(nullptr));
    a.model = info.model.empty() ? std::string_view("mock-model") : info.model;
    a.chunks = o.chunks ? *o.chunks : cfg.chunks;
    a.prompt_tokens = estimate_prompt_tokens(info);
    a.include_usage = info.include_usage;
    a.inputs = info.inputs == 0 ? 1 : info.inputs;
    a.base64 = info.base64_embeddings;
    std::uint64_t tokens = std::uint64_t{a.chunks} * cfg.tokens_per_chunk;
    if (info.max_tokens && *info.max_tokens > 0 && *info.max_tokens < tokens)
        tokens = *info.max_tokens;
    std::uint64_t bytes = tokens * 4;
    if (o.response_bytes || cfg.big_payload) {
        bytes = o.response_bytes ? *o.response_bytes : 10 * 1024;
        tokens = (bytes + 3) / 4;
    }
    a.content_bytes = bytes;
    a.completion_tokens = tokens;
    return a;
}

action respond(worker& w, response_buffers& out, route r, unsigned status, std::string_view body,
               bool keep_alive, std::string_view extra = {})
{
    prepare_response(w, out, r, status, body, keep_alive, json_type, extra);
    action act;
    act.keep_alive = keep_alive;
    return act;
}

action dispatch_model(worker& w, const request_view& req, response_buffers& out, route r)
{
    const auto& cfg = w.shared.config;
    auto o = read_overrides(req);
    if (!o.error.empty())
        return respond(w, out, r, 400, error_body(400, o.error), req.keep_alive);
    request_info info;
    if (auto e = parse_request(r, req.body, info))
        return respond(w, out, r, e->status, error_body(*e), req.keep_alive);

    std::uint64_t seq =
        cfg.stall_every > 0 ? w.shared.model_requests.fetch_add(1, std::memory_order_relaxed) + 1 : 0;
    auto d = w.plan.decide(seq, o.api_key, w.rng);
    if (o.fail)
        d.fail = *o.fail;
    const bool stream = info.stream && r != route::embeddings;
    // Delay before the answer (streams: before the first chunk). Most specific wins: header,
    // key rule, --ttft (streams), latency model.
    ns delay{0};
    if (stream && o.ttft)
        delay = *o.ttft;
    else if (o.latency)
        delay = *o.latency;
    else if (d.latency)
        delay = *d.latency;
    else if (stream && cfg.ttft)
        delay = *cfg.ttft;
    else if (!w.latency.is_zero())
        delay = w.latency.sample(w.rng);
    delay += d.stall;

    action act;
    act.keep_alive = req.keep_alive && (req.http11 || !stream); // an HTTP/1.0 stream ends at the close
    act.http11 = req.http11;
    switch (d.fail) {
    case failure_kind::reset:
    case failure_kind::hang:
        w.stats.count(r, 0);
        act.what = d.fail == failure_kind::reset ? action::kind::reset : action::kind::hang;
        return act;
    case failure_kind::http429:
        act = respond(
            w, out, r, 429,
            error_body("Rate limit reached for requests (mock-llm)", "requests", {}, "rate_limit_exceeded"),
            req.keep_alive, fmt::format("Retry-After: {}\r\n", cfg.retry_after_s));
        act.delay = d.stall; // rate limiters answer at once
        return act;
    case failure_kind::http500:
        act = respond(
            w, out, r, 500,
            error_body(500, "The server had an error while processing your request. Sorry about that!"),
            req.keep_alive);
        act.delay = delay;
        return act;
    case failure_kind::http503:
        act = respond(w, out, r, 503,
                      error_body(503, "The engine is currently overloaded, please try again later."),
                      req.keep_alive);
        act.delay = delay;
        return act;
    default:
        break;
    }
    act.a = make_answer(w, out, r, info, o);
    act.delay = delay;
    if (stream) {
        w.stats.count(r, 200);
        act.what = action::kind::stream;
        act.gap = o.token_gap ? *o.token_gap : cfg.token_gap;
        act.fail = d.fail;
        return act;
    }
    out.body.clear();
    if (r == route::embeddings)
        render_embeddings(out.body, act.a, act.a.inputs, cfg.embedding_dim);
    else
        render_completion(out.body, act.a);
    if (d.fail == failure_kind::malformed)
        out.body.resize(out.body.size() / 2); // valid HTTP, truncated JSON
    w.stats.count(r, 200);
    put_head(out.head, 200, json_type, static_cast<std::int64_t>(out.body.size()), req.keep_alive);
    if (d.fail == failure_kind::cut)
        act.what = action::kind::cut;
    return act;
}

action dispatch_blob(worker& w, const request_view& req, response_buffers& out, std::string_view query)
{
    std::string_view v;
    std::optional<std::uint64_t> bytes;
    if (query_param(query, "bytes", v))
        bytes = common::parse_size(v);
    action act;
    act.blob_chunked = query_param(query, "chunked", v) && (v == "1" || v == "true" || v.empty());
    act.http11 = req.http11;
    act.keep_alive = req.keep_alive && (req.http11 || !act.blob_chunked); // 1.0: ends at the close
    if (query_param(query, "gap", v)) {
        auto g = common::parse_duration(v, common::bare_unit::milliseconds);
        if (!g)
            bytes.reset();
        else
            act.gap = *g;
    }
    if (!bytes)
        return respond(w, out, route::blob, 400,
                       error_body(400, "blob needs ?bytes=N (a size) and an optional gap=DURATION"),
                       req.keep_alive);
    w.stats.count(route::blob, 200);
    act.what = action::kind::blob;
    act.blob_bytes = *bytes;
    put_head(out.head, 200, "application/octet-stream",
             act.blob_chunked ? unknown_length(req.http11) : static_cast<std::int64_t>(*bytes),
             act.keep_alive);
    return act;
}

} // namespace

void put_head(std::string& out, unsigned status, std::string_view type, std::int64_t length, bool keep_alive,
              std::string_view extra)
{
    out.clear();
    out += status_line(status);
    out += "Content-Type: "sv;
    out += type;
    if (length >= 0) {
        out += "\r\nContent-Length: "sv;
        fmt::format_int n(length);
        out.append(n.data(), n.size());
    } else if (length == chunked_length) {
        out += "\r\nTransfer-Encoding: chunked"sv;
    }
    out += keep_alive ? "\r\n" : "\r\nConnection: close\r\n";
    out += extra;
    out += "\r\n"sv;
}

void put_chunk(std::string& out, std::string_view data)
{
    char hex[16];
    int i = 16;
    std::size_t n = data.size();
    do {
        hex[--i] = "0123456789abcdef"[n & 0xF];
        n >>= 4;
    } while (n != 0);
    out.append(hex + i, static_cast<std::size_t>(16 - i));
    out += "\r\n"sv;
    out += data;
    out += "\r\n"sv;
}

void prepare_response(worker& w, response_buffers& out, route r, unsigned status, std::string_view body,
                      bool keep_alive, std::string_view type, std::string_view extra)
{
    w.stats.count(r, status);
    if (body.data() != out.body.data())
        out.body.assign(body);
    put_head(out.head, status, type, static_cast<std::int64_t>(out.body.size()), keep_alive, extra);
}

action dispatch(worker& w, const request_view& req, response_buffers& out)
{
    auto m = match_route(req.method, req.target);
    if (m.route == route::unknown)
        return respond(w, out, m.route, 404,
                       error_body(404, fmt::format("Invalid URL ({} {})", req.method, req.target)),
                       req.keep_alive);
    if (!m.method_allowed)
        return respond(w, out, m.route, 405,
                       error_body(405, fmt::format("Invalid method for URL ({} {})", req.method, req.target)),
                       req.keep_alive);
    switch (m.route) {
    case route::models:
        out.body.clear();
        render_models(out.body);
        return respond(w, out, m.route, 200, out.body, req.keep_alive);
    case route::healthz:
        return respond(w, out, m.route, 200, R"({"status":"ok"})", req.keep_alive);
    case route::stats:
        return respond(w, out, m.route, 200, w.shared.stats.to_json(), req.keep_alive);
    case route::stats_reset: {
        auto act = respond(w, out, m.route, 200, R"({"status":"reset"})", req.keep_alive);
        w.shared.stats.reset(); // after counting this request, so that everything reads 0
        return act;
    }
    case route::echo:
        return respond(w, out, m.route, 200, render_echo(req.method, req.target, req.headers, req.body),
                       req.keep_alive);
    case route::blob:
        return dispatch_blob(w, req, out, m.query);
    default:
        return dispatch_model(w, req, out, m.route);
    }
}

} // namespace mock
