// Response bodies of mock-llm, rendered into caller-owned buffers that are reused from one
// request to the next (no allocation once they have grown): OpenAI-shaped JSON answers, SSE
// chunks of streams, embeddings, models, echo and errors. Sans-I/O.
#pragma once

#include "bench/mock/request_info.hpp"
#include "bench/mock/routes.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mock {

// Everything an answer's body depends on, fixed when the request arrives.
struct answer
{
    route api = route::chat;
    std::string_view id;             // "chatcmpl-..." (caller-owned)
    std::int64_t created = 0;        // unix seconds
    std::string_view model;          // echoed as is: raw JSON string content (already escaped)
    std::uint64_t content_bytes = 0; // completion text size
    std::uint32_t chunks = 1;        // streams: content chunks
    std::uint64_t prompt_tokens = 0;
    std::uint64_t completion_tokens = 0;
    bool include_usage = false;
    std::uint32_t inputs = 1; // embeddings: vectors to return
    bool base64 = false;      // embeddings: little-endian float32 vectors in base64, as OpenAI sends them
};

// Appends `s` with JSON string escaping (no quotes).
void append_json_escaped(std::string& out, std::string_view s);

// "chatcmpl-", "cmpl-", "resp_" ... followed by 24 hex digits from `worker` and `counter`.
void make_id(std::string& out, route api, unsigned worker, std::uint64_t counter);

// Non-stream JSON of a model route (chat, completions, responses).
void render_completion(std::string& out, const answer& a);
// Embeddings: one vector per input, `dim` floats each.
void render_embeddings(std::string& out, const answer& a, std::uint32_t inputs, unsigned dim);
// GET models.
void render_models(std::string& out);

// Streams (chat and completions: "data: {...}\n\n" events ending with "data: [DONE]";
// responses: typed events). Each call appends the SSE bytes of one step.
void render_stream_start(std::string& out, const answer& a);                  // role chunk / response.created
void render_stream_delta(std::string& out, const answer& a, std::uint32_t k); // content chunk k (0-based)
void render_stream_end(std::string& out, const answer& a);                    // finish, usage, [DONE]
// A data line that is not valid JSON, for the "malformed" failure.
void render_stream_malformed(std::string& out, const answer& a);

// Error body with `param` and `code` (empty renders as null).
std::string error_body(std::string_view message, std::string_view type, std::string_view param,
                       std::string_view code);
std::string error_body(const request_error& e);
std::string error_body(unsigned status, std::string_view message, std::string_view code = {});

// ANY echo: what reached the server.
std::string render_echo(std::string_view method, std::string_view target,
                        const std::vector<std::pair<std::string_view, std::string_view>>& headers,
                        std::string_view body);
std::uint64_t fnv1a64(std::string_view bytes);

// Completion text: bytes [offset, offset + len) of an endless deterministic prose (no bytes
// needing JSON escaping).
void append_content(std::string& out, std::uint64_t offset, std::uint64_t len);

// Blob bytes: byte i of the blob is 'a' + i % 26.
std::string_view blob_piece(std::uint64_t offset, std::size_t len); // len <= 16 KiB
inline constexpr std::size_t blob_piece_max = 16 * 1024;

} // namespace mock
