// Reading of model requests with json_scanner.
#include "bench/mock/request_info.hpp"

#include "bench/mock/json_scan.hpp"

#include <charconv>

namespace mock {
namespace {

enum class top_key : std::uint8_t
{
    other,
    model,
    stream,
    stream_options,
    messages,
    prompt,
    input,
    instructions,
    max_tokens,
    encoding_format
};

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
    if (k == "encoding_format")
        return top_key::encoding_format;
    return top_key::other;
}

// Scanner handler. depth_ is 0 outside the document, 1 inside the top-level object; a value
// "directly under" a top-level key is seen at depth 1, its elements at depth 2.
class reader
{
public:
    explicit reader(request_info& out) : out_(out) {}

    bool not_object = false;
    bool messages_seen = false;
    std::string_view messages_type; // JSON type of "messages"
    bool input_seen = false;

    void begin_object()
    {
        if (depth_ == 0 && !started_)
            started_ = true;
        else
            value("object");
        if (depth_ == 2 && key_ == top_key::messages)
            ++out_.messages;
        if (depth_ == 2 && key_ == top_key::input)
            ++out_.inputs;
        ++depth_;
    }
    void end_object() { --depth_; }
    void begin_array()
    {
        value("array");
        if (depth_ == 2 && key_ == top_key::input)
            ++out_.inputs; // a list of token ids is one input
        ++depth_;
    }
    void end_array() { --depth_; }
    void key(std::string_view k)
    {
        if (depth_ == 1)
            key_ = classify(k);
        else if (depth_ == 2 && key_ == top_key::stream_options)
            include_usage_key_ = k == "include_usage";
    }
    void string(std::string_view v)
    {
        value("string");
        if (depth_ == 1 && key_ == top_key::model)
            out_.model = v;
        else if (depth_ == 1 && key_ == top_key::encoding_format)
            out_.base64_embeddings = v == "base64";
        else if (counts_text())
            out_.prompt_chars += v.size();
        if (depth_ == 1 && key_ == top_key::input)
            out_.inputs = 1;
        if (depth_ == 2 && key_ == top_key::input)
            ++out_.inputs;
    }
    void number(std::string_view text, bool integer)
    {
        value("number");
        if (depth_ == 1 && key_ == top_key::max_tokens && integer && text[0] != '-') {
            std::uint64_t v = 0;
            if (std::from_chars(text.data(), text.data() + text.size(), v).ec == std::errc{})
                out_.max_tokens = v;
        }
        if (depth_ == 2 && key_ == top_key::input && !token_list_) {
            token_list_ = true; // [1, 2, 3]: one input of token ids
            ++out_.inputs;
        }
        if (depth_ >= 2 && key_ == top_key::input)
            out_.prompt_chars += 4;
    }
    void literal(char c)
    {
        value(c == 'n' ? "null" : "boolean");
        if (c == 'n')
            return;
        if (depth_ == 1 && key_ == top_key::stream)
            out_.stream = c == 't';
        if (depth_ == 2 && key_ == top_key::stream_options && include_usage_key_)
            out_.include_usage = c == 't';
    }

private:
    bool counts_text() const
    {
        return (depth_ >= 1 &&
                (key_ == top_key::prompt || key_ == top_key::input || key_ == top_key::instructions)) ||
               (depth_ >= 2 && key_ == top_key::messages);
    }
    void value(std::string_view type)
    {
        if (depth_ == 0) {
            not_object = true;
            return;
        }
        if (depth_ != 1)
            return;
        if (key_ == top_key::messages) {
            messages_seen = true;
            messages_type = type;
        }
        if (key_ == top_key::input)
            input_seen = type != "null";
    }

    request_info& out_;
    int depth_ = 0;
    top_key key_ = top_key::other;
    bool include_usage_key_ = false;
    bool started_ = false;
    bool token_list_ = false;
};

constexpr std::string_view invalid_json_message =
    "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP "
    "library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. If you "
    "have trouble figuring out how to fix this, please contact us through our help center at "
    "help.openai.com.)";

request_error missing(std::string_view param)
{
    return {400, "Missing required parameter: '" + std::string(param) + "'.", std::string(param),
            "missing_required_parameter"};
}

} // namespace

std::optional<request_error> parse_request(route r, std::string_view body, request_info& out)
{
    reader rd(out);
    json_scanner<reader> scanner(body, rd);
    bool ok = scanner.scan();
    if (!ok)
        return request_error{400, std::string(invalid_json_message), "", ""};
    if (rd.not_object)
        return request_error{400, "Invalid request body: expected a JSON object.", "", ""};
    if (r == route::chat) {
        if (!rd.messages_seen || rd.messages_type == "null")
            return missing("messages");
        if (rd.messages_type != "array")
            return request_error{400,
                                 "Invalid type for 'messages': expected an array of objects, but got " +
                                     std::string(rd.messages_type) + " instead.",
                                 "messages", "invalid_type"};
        if (out.messages == 0)
            return request_error{
                400,
                "Invalid 'messages': empty array. Expected an array with minimum length 1, but got "
                "an empty array instead.",
                "messages", "empty_array"};
    }
    if (r == route::embeddings && !rd.input_seen)
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
