// SAX reading of model requests.
#include "bench/mock/request_info.hpp"

#include <nlohmann/json.hpp>

namespace mock {
namespace {

using json = nlohmann::json;

enum class top_key : std::uint8_t { other, model, stream, stream_options, messages, prompt, input, instructions, max_tokens };

top_key classify(std::string_view k)
{
    if (k == "model")
        return top_key::model;
    if (k == "stream")
        return top_key::stream;
    if (k == "stream_options")
        return top_key::stream_options;
    if (k == "messages")
        return top_key::messages;
    if (k == "prompt")
        return top_key::prompt;
    if (k == "input")
        return top_key::input;
    if (k == "instructions")
        return top_key::instructions;
    if (k == "max_tokens" || k == "max_completion_tokens" || k == "max_output_tokens")
        return top_key::max_tokens;
    return top_key::other;
}

// Depth 0 is outside the document, 1 inside the top-level object.
class reader final : public nlohmann::json_sax<json>
{
public:
    explicit reader(request_info& out) : out_(out) {}

    bool not_object = false;
    bool messages_seen = false, messages_wrong_type = false;
    bool input_seen = false;
    std::string_view messages_type; // JSON type of "messages" when it is not an array

    bool null() override { return scalar("null"); }
    bool boolean(bool v) override
    {
        if (depth_ == 1 && key_ == top_key::stream)
            out_.stream = v;
        if (depth_ == 2 && key_ == top_key::stream_options && include_usage_key_)
            out_.include_usage = v;
        return scalar("boolean");
    }
    bool number_integer(number_integer_t v) override { return number(v < 0 ? 0 : static_cast<std::uint64_t>(v)); }
    bool number_unsigned(number_unsigned_t v) override { return number(v); }
    bool number_float(number_float_t, const string_t&) override { return scalar("number"); }
    bool string(string_t& v) override
    {
        if (depth_ == 1 && key_ == top_key::model)
            out_.model = std::move(v);
        else if (counts_text())
            out_.prompt_chars += v.size();
        if (depth_ == 1 && key_ == top_key::input)
            out_.inputs = 1;
        if (depth_ == 2 && key_ == top_key::input)
            ++out_.inputs;
        return scalar("string");
    }
    bool binary(binary_t&) override { return scalar("binary"); }
    bool start_object(std::size_t) override
    {
        if (depth_ == 0)
            seen_top_ = true;
        else
            container_value("object");
        if (depth_ == 2 && key_ == top_key::messages)
            ++out_.messages;
        if (depth_ == 2 && key_ == top_key::input)
            ++out_.inputs;
        ++depth_;
        return true;
    }
    bool end_object() override { return end(); }
    bool start_array(std::size_t) override
    {
        if (depth_ == 0) {
            not_object = true;
            return false;
        }
        container_value("array");
        if (depth_ == 2 && key_ == top_key::input)
            ++out_.inputs; // a list of token ids is one input
        ++depth_;
        return true;
    }
    bool end_array() override { return end(); }
    bool key(string_t& k) override
    {
        if (depth_ == 1)
            key_ = classify(k);
        else if (depth_ == 2 && key_ == top_key::stream_options)
            include_usage_key_ = k == "include_usage";
        return true;
    }
    bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override { return false; }

private:
    bool counts_text() const
    {
        return (depth_ >= 1 && (key_ == top_key::prompt || key_ == top_key::input || key_ == top_key::instructions)) ||
               (depth_ >= 2 && key_ == top_key::messages);
    }
    // A value directly under a top-level key.
    void container_value(std::string_view type)
    {
        if (depth_ != 1)
            return;
        if (key_ == top_key::messages) {
            messages_seen = true;
            messages_wrong_type = type != "array";
            messages_type = type;
        }
        if (key_ == top_key::input)
            input_seen = true;
    }
    bool scalar(std::string_view type)
    {
        if (depth_ == 0) {
            not_object = true;
            return false;
        }
        container_value(type);
        return true;
    }
    bool number(std::uint64_t v)
    {
        if (depth_ == 1 && key_ == top_key::max_tokens)
            out_.max_tokens = v;
        if (depth_ == 1 && key_ == top_key::input) // a single list of token ids
            out_.inputs = 1;
        if (depth_ == 2 && key_ == top_key::input && !token_list_) {
            token_list_ = true; // [1, 2, 3]: one input of tokens
            ++out_.inputs;
        }
        if (depth_ >= 2 && key_ == top_key::input)
            out_.prompt_chars += 4;
        return scalar("number");
    }
    bool end()
    {
        --depth_;
        return true;
    }

    request_info& out_;
    int depth_ = 0;
    top_key key_ = top_key::other;
    bool include_usage_key_ = false;
    bool seen_top_ = false;
    bool token_list_ = false;
};

constexpr std::string_view invalid_json_message =
    "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP "
    "library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. If you "
    "have trouble figuring out how to fix this, please contact us through our help center at help.openai.com.)";

request_error missing(std::string_view param)
{
    return {400, "Missing required parameter: '" + std::string(param) + "'.", std::string(param),
            "missing_required_parameter"};
}

} // namespace

std::optional<request_error> parse_request(route r, std::string_view body, request_info& out)
{
    reader rd(out);
    bool ok = json::sax_parse(body.begin(), body.end(), &rd, nlohmann::detail::input_format_t::json, true);
    if (rd.not_object)
        return request_error{400, "Invalid request body: expected a JSON object.", "", ""};
    if (!ok)
        return request_error{400, std::string(invalid_json_message), "", ""};
    if (r == route::chat) {
        if (!rd.messages_seen || rd.messages_type == "null")
            return missing("messages");
        if (rd.messages_wrong_type)
            return request_error{400,
                                 "Invalid type for 'messages': expected an array of objects, but got " +
                                     std::string(rd.messages_type) + " instead.",
                                 "messages", "invalid_type"};
        if (out.messages == 0)
            return request_error{400,
                                 "Invalid 'messages': empty array. Expected an array with minimum length 1, but got "
                                 "an empty array instead.",
                                 "messages", "empty_array"};
    }
    if (r == route::embeddings && (!rd.input_seen && out.inputs == 0))
        return missing("input");
    if (r == route::embeddings && out.inputs == 0)
        out.inputs = 1;
    return std::nullopt;
}

std::uint64_t estimate_prompt_tokens(const request_info& info)
{
    std::uint64_t tokens = (info.prompt_chars + 3) / 4;
    if (info.messages > 0)
        tokens += 3ull * info.messages + 3;
    return tokens == 0 ? 1 : tokens;
}

} // namespace mock
