// mock-llm's answers (bench/mock/handlers.*): for any request body it accepts, every answer it
// renders is valid JSON, naming the request's model (echoed raw, still escaped, from the
// request); streams are SSE events of valid JSON ending as OpenAI's do; embeddings hold one
// vector per input; a refused body gets an OpenAI-shaped error. bench, the openai SDKs and the
// gateways parse these answers: a model string that broke them would break a whole run.
#include "bench/mock/handlers.hpp"
#include "bench/mock/request_info.hpp"
#include "tests/fuzz/fuzz_support.hpp"

#include <nlohmann/json.hpp>
#include <string>

namespace {

using nlohmann::json;

json parsed(const std::string& text, const char* what)
{
    auto j = json::parse(text, nullptr, false);
    if (j.is_discarded())
        std::fprintf(stderr, "not JSON: %s\n", text.c_str());
    fuzz::require(!j.is_discarded(), what);
    return j;
}

// The model as the client sent it, decoded (nlohmann), or nothing when it was not a non-empty
// string (mock-llm then names its own, as dispatch does).
std::optional<std::string> request_model(std::string_view body)
{
    auto j = json::parse(body, nullptr, false);
    if (j.is_object() && j.contains("model") && j["model"].is_string() &&
        !j["model"].get<std::string>().empty())
        return j["model"].get<std::string>();
    return std::nullopt;
}

// The JSON of every "data:" line of an SSE text, [DONE] excepted; true when [DONE] ends it.
bool stream_events(const std::string& sse, std::vector<json>& events)
{
    bool done = false;
    std::size_t at = 0;
    while (at < sse.size()) {
        auto end = sse.find("\n\n", at);
        fuzz::require(end != std::string::npos, "every event ends with a blank line");
        auto event = sse.substr(at, end - at);
        at = end + 2;
        auto data = event.find("data: ");
        fuzz::require(data != std::string::npos, "every event has data");
        auto payload = event.substr(data + 6);
        fuzz::require(!done, "nothing follows [DONE]");
        if (payload == "[DONE]") {
            done = true;
            continue;
        }
        events.push_back(parsed(payload, "every stream event is JSON"));
    }
    return done;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    fuzz::input in(data, size);
    static constexpr mock::route routes[] = {mock::route::chat, mock::route::completions,
                                             mock::route::embeddings, mock::route::responses};
    const auto r = routes[in.byte() % 4];
    const std::uint64_t content_bytes = in.byte();
    const std::uint32_t chunks = 1 + in.byte() % 4;
    const std::string_view body = in.rest();

    mock::request_info info;
    if (auto err = mock::parse_request(r, body, info)) {
        auto e = parsed(mock::error_body(*err), "an error body is JSON");
        fuzz::require(e["error"]["message"].is_string(), "an error names what is wrong");
        return 0;
    }
    std::string id;
    mock::make_id(id, r, 0, 7);
    mock::answer a;
    a.api = r;
    a.id = id;
    a.created = 1700000000;
    a.model = info.model.empty() ? std::string_view("mock-model") : info.model; // as dispatch does
    a.content_bytes = content_bytes;
    a.chunks = chunks;
    a.prompt_tokens = mock::estimate_prompt_tokens(info);
    a.completion_tokens = (content_bytes + 3) / 4;
    a.include_usage = info.include_usage;
    a.inputs = std::min<std::uint32_t>(info.inputs, 16);
    a.base64 = info.base64_embeddings;
    const auto model = request_model(body);

    std::string out;
    if (r == mock::route::embeddings) {
        mock::render_embeddings(out, a, a.inputs, 4);
        auto j = parsed(out, "an embeddings answer is JSON");
        fuzz::require(j["data"].is_array() && j["data"].size() == a.inputs, "one vector per input");
        if (model)
            fuzz::require(j["model"] == *model, "the answer names the request's model");
        return 0;
    }
    mock::render_completion(out, a);
    auto j = parsed(out, "a completion is JSON");
    if (model)
        fuzz::require(j["model"] == *model, "the answer names the request's model");

    std::string sse;
    mock::render_stream_start(sse, a);
    for (std::uint32_t k = 0; k < a.chunks; ++k)
        mock::render_stream_delta(sse, a, k);
    mock::render_stream_end(sse, a);
    std::vector<json> events;
    const bool done = stream_events(sse, events);
    fuzz::require(!events.empty(), "a stream has events");
    if (r != mock::route::responses) {
        fuzz::require(done, "a chat or completions stream ends with [DONE]");
        for (const auto& e : events)
            if (model)
                fuzz::require(e["model"] == *model, "every chunk names the request's model");
    }
    return 0;
}
