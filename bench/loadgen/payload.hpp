// Request bytes: the HTTP/1.1 request for each send, with the request index and the time in the
// prompt so that no cache along the way can answer it. Built once as a template, then only the
// marker and Content-Length change per request.
#pragma once

#include "bench/loadgen/config.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace loadgen {

// ~200 B default prompt; -big-payload repeats text to about 10 KB.
std::string default_prompt(bool big);

class request_builder;

// A request kept between sends on one loop: its bytes and where the marker ("<index>@<unix ms>")
// sits, so that the next build of the same builder only rewrites the marker's digits in place
// when their count is unchanged (the body length, headers and JSON stay as they are).
struct request_buffer
{
    std::string bytes;
    const request_builder* builder = nullptr; // that built `bytes`
    std::size_t mark_at = 0, mark_len = 0;
};

class request_builder
{
public:
    // `path` is the full request target ("/v1/chat/completions"); headers are sent as given.
    request_builder(const config& c, const std::string& prompt, std::string model,
                    const std::string& host_header, const std::string& path,
                    const std::vector<std::pair<std::string, std::string>>& headers);

    // The complete request for index i, written into `out` (reused buffer).
    void build(std::uint64_t index, std::uint64_t unix_ms, std::string& out) const;
    // The same bytes; when `out` holds this builder's previous request with a marker of the same
    // length, only the marker's digits are rewritten.
    void build(std::uint64_t index, std::uint64_t unix_ms, request_buffer& out) const;
    std::size_t approx_body_bytes() const { return body_prefix_.size() + body_suffix_.size() + 24; }

private:
    std::string head_;        // request line and headers, ending in "Content-Length: "
    std::string body_prefix_; // JSON up to the marker inside the prompt string
    std::string body_suffix_;
};

} // namespace loadgen
