// Request templates.
#include "bench/loadgen/payload.hpp"

#include <charconv>
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

void request_builder::build(std::uint64_t index, std::uint64_t unix_ms, std::string& out) const
{
    // Two 20-digit numbers and a separator always fit.
    char mark[48];
    auto first = std::to_chars(mark, mark + 20, index);
    char* p = first.ptr;
    *p = '@';
    auto second = std::to_chars(p + 1, p + 21, unix_ms);
    std::size_t mark_len = static_cast<std::size_t>(second.ptr - mark);
    std::size_t body_len = body_prefix_.size() + mark_len + body_suffix_.size();
    char len[24];
    auto len_end = std::to_chars(len, len + sizeof len, body_len).ptr;

    out.clear();
    out.reserve(head_.size() + 24 + body_len);
    out.append(head_);
    out.append(len, len_end);
    out.append("\r\n\r\n");
    out.append(body_prefix_);
    out.append(mark, mark_len);
    out.append(body_suffix_);
}

} // namespace loadgen
