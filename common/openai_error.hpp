// OpenAI-shaped error bodies: {"error":{"message":...,"type":...,"param":null,"code":...}}.
// Every program answers errors in this shape so that OpenAI SDKs surface them properly.
#pragma once

#include <string>
#include <string_view>

namespace common {

// The `type` OpenAI uses for a status: invalid_request_error (4xx), authentication_error (401),
// rate_limit_error... (429), server_error (5xx).
std::string_view openai_error_type(unsigned status);

// `code` may be empty, which renders as null.
std::string openai_error_body(std::string_view message, std::string_view type, std::string_view code = {});

// Shorthand: type derived from the status.
std::string openai_error_body(unsigned status, std::string_view message, std::string_view code = {});

} // namespace common
