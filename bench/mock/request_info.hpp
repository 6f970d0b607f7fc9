// What mock-llm needs from a model request body (model, stream flags, prompt size), read in
// one pass with json_scanner: the JSON is fully validated, nothing is allocated.
#pragma once

#include "bench/mock/routes.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mock {

struct request_info
{
    std::string_view model;         // raw (still JSON-escaped) content of "model", points into the body
    bool stream = false;            // "stream": true
    bool include_usage = false;     // "stream_options": {"include_usage": true}
    std::uint64_t prompt_chars = 0; // characters of every string in messages / prompt / input
    std::uint32_t messages = 0;     // objects in "messages"
    std::uint32_t inputs = 0;       // embeddings: number of inputs
    std::optional<std::uint64_t> max_tokens; // max_tokens / max_completion_tokens / max_output_tokens
    bool base64_embeddings = false;          // "encoding_format": "base64" (the openai SDKs' default)
};

// An OpenAI-shaped client error: status, message, and the `param` and `code` fields (may be "").
struct request_error
{
    unsigned status = 400;
    std::string message;
    std::string param;
    std::string code;
};

// Parses `body` for route `r` (one of the model routes). Returns an error for invalid JSON,
// a body that is not an object, or a missing/ill-typed required field (messages, input).
std::optional<request_error> parse_request(route r, std::string_view body, request_info& out);

// Prompt tokens: ~4 characters a token, plus OpenAI's per-message overhead (3 each, +3 reply).
std::uint64_t estimate_prompt_tokens(const request_info& info);

} // namespace mock
