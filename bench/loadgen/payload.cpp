// Request templates.
#include "bench/loadgen/payload.hpp"

#include <charconv>
#include <cstring>
#include <nlohmann/json.hpp>

namespace loadgen {
namespace {
constexpr std::string_view marker = "\x01";
}

std::string default_prompt(bool big)
{
    std::string p =
        "You are benchmarking an API gateway. Answer in one short sentence: why does tail latency matter?";
    if (!big)
        return p;
    std::string out;
    while (out.size() < 10'000)
        out += "Context paragraph for a large request: the quick brown fox jumps over the lazy dog, "
               "measuring how a gateway forwards bigger bodies without buffering them. ";
    return out + p;
}

request_builder::request_builder(const config& c, const std::string& prompt, std::string model,
                                 const std::string& host_header, const std::string& path,
                                 const std::vector<std::pair<std::string, std::string>>& headers)
{
    nlohmann::json body;
    std::string content = prompt + " [req " + std::string(marker) + "]";
    if (c.kind == request_kind::chat) {
        body = {{"model", model}, {"messages", {{{"role", "user"}, {"content", content}}}}};
        if (c.stream)
            body["stream"] = true;
    } else {
        body = {{"model", model}, {"input", content}};
    }
    std::string text = body.dump();
    // dump() escapes \x01 as \u0001.
    auto at = text.find("\\u0001");
    body_prefix_ = text.substr(0, at);
    body_suffix_ = text.substr(at + 6);

    head_ = "POST " + path + " HTTP/1.1\r\nHost: " + host_header +
            "\r\nUser-Agent: lgb-bench/1\r\nContent-Type: application/json\r\nAccept: " +
            (c.stream ? "text/event-stream" : "application/json") + "\r\n";
    for (const auto& [k, v] : headers)
        head_ += k + ": " + v + "\r\n";
    head_ += "Content-Length: ";
}

namespace {

// "<index>@<unix ms>" into `mark` (48 bytes: two 20-digit numbers and a separator always fit);
// returns its length. The millisecond digits are formatted once per millisecond per thread.
std::size_t format_mark(std::uint64_t index, std::uint64_t unix_ms, char* mark)
{
    thread_local std::uint64_t last_ms = ~std::uint64_t{0};
    thread_local char ms_digits[20];
    thread_local std::size_t ms_len = 0;
    if (unix_ms != last_ms) {
        ms_len = static_cast<std::size_t>(std::to_chars(ms_digits, ms_digits + 20, unix_ms).ptr - ms_digits);
        last_ms = unix_ms;
    }
    char* p = std::to_chars(mark, mark + 20, index).ptr;
    *p++ = '@';
    std::memcpy(p, ms_digits, ms_len);
    return static_cast<std::size_t>(p - mark) + ms_len;
}

} // namespace

void request_builder::build(std::uint64_t index, std::uint64_t unix_ms, request_buffer& out) const
{
    char mark[48];
    std::size_t mark_len = format_mark(index, unix_ms, mark);
    if (out.builder == this && out.mark_len == mark_len) {
        std::memcpy(out.bytes.data() + out.mark_at, mark, mark_len);
        return;
    }
    std::size_t body_len = body_prefix_.size() + mark_len + body_suffix_.size();
    char len[24];
    auto len_end = std::to_chars(len, len + sizeof len, body_len).ptr;
    auto& b = out.bytes;
    b.clear();
    b.reserve(head_.size() + 24 + body_len);
    b.append(head_);
    b.append(len, len_end);
    b.append("\r\n\r\n");
    b.append(body_prefix_);
    out.mark_at = b.size();
    out.mark_len = mark_len;
    out.builder = this;
    b.append(mark, mark_len);
    b.append(body_suffix_);
}

void request_builder::build(std::uint64_t index, std::uint64_t unix_ms, std::string& out) const
{
    request_buffer b;
    b.bytes = std::move(out);
    build(index, unix_ms, b);
    out = std::move(b.bytes);
}

} // namespace loadgen
