// OpenAI-shaped error bodies.
#include "common/openai_error.hpp"

#include <nlohmann/json.hpp>

namespace common {

std::string_view openai_error_type(unsigned status)
{
    switch (status) {
    case 401:
        return "authentication_error";
    case 403:
        return "permission_error";
    case 404:
        return "invalid_request_error";
    case 429:
        return "rate_limit_error";
    default:
        return status >= 500 ? "server_error" : "invalid_request_error";
    }
}

std::string openai_error_body(std::string_view message, std::string_view type, std::string_view code)
{
    nlohmann::json body;
    auto& e = body["error"];
    e["message"] = message;
    e["type"] = type;
    e["param"] = nullptr;
    e["code"] = code.empty() ? nlohmann::json(nullptr) : nlohmann::json(code);
    // Replace invalid UTF-8 instead of throwing: messages may quote client input.
    return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string openai_error_body(unsigned status, std::string_view message, std::string_view code)
{
    return openai_error_body(message, openai_error_type(status), code);
}

} // namespace common
