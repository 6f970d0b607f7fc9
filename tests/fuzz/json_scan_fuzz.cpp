// mock-llm's own JSON scanner (bench/mock/json_scan.hpp), which validates every model request
// body: it must accept exactly the texts nlohmann/json accepts (RFC 8259, UTF-8 checked), up to
// its nesting limit; and reading a request for each model route must not fail on what it accepted.
#include "bench/mock/json_scan.hpp"
#include "bench/mock/request_info.hpp"
#include "tests/fuzz/fuzz_support.hpp"

#include <nlohmann/json.hpp>

namespace {

// Counts what the scanner reports, to check it against the text's own structure.
struct counter
{
    int depth = 0;
    int max_depth = 0;
    void begin_object() { max_depth = std::max(max_depth, ++depth); }
    void end_object() { --depth; }
    void begin_array() { max_depth = std::max(max_depth, ++depth); }
    void end_array() { --depth; }
    void key(std::string_view) {}
    void string(std::string_view) {}
    void number(std::string_view text, bool) { fuzz::require(!text.empty(), "a number has digits"); }
    void literal(char c)
    {
        fuzz::require(c == 't' || c == 'f' || c == 'n', "a literal is true, false or null");
    }
};

// Nesting of the text, counted over brackets outside strings (enough to skip texts past the
// scanner's limit, where the two parsers are meant to differ).
int nesting(std::string_view s)
{
    int depth = 0, deepest = 0;
    bool in_string = false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        char c = s[i];
        if (in_string) {
            if (c == '\\')
                ++i;
            else if (c == '"')
                in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '{' || c == '[') {
            deepest = std::max(deepest, ++depth);
        } else if (c == '}' || c == ']') {
            --depth;
        }
    }
    return deepest;
}

// nlohmann refuses numbers a double cannot hold ("1e999"); the scanner keeps them as text.
bool number_overflow(std::string_view text)
{
    try {
        (void)nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception& e) { // out_of_range 406 for a number
        return std::string_view(e.what()).find("number overflow") != std::string_view::npos;
    }
    return false;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    fuzz::input in(data, size);
    const std::string_view text = in.rest();

    counter c;
    mock::json_scanner<counter> scanner(text, c);
    const bool ours = scanner.scan();
    if (ours)
        fuzz::require(c.depth == 0 && c.max_depth <= mock::json_max_depth,
                      "an accepted text is balanced and bounded");
    // nlohmann's lexer ends the input at a NUL byte ("0\0x" is accepted), where the scanner
    // rightly refuses the byte: texts with a NUL are compared with nothing.
    if (nesting(text) < mock::json_max_depth && text.find('\0') == std::string_view::npos) {
        const bool theirs = nlohmann::json::accept(text);
        if (ours && !theirs && number_overflow(text))
            return 0; // RFC 8259 lets parsers limit number range; the scanner reads numbers as text
        if (ours != theirs)
            std::fprintf(stderr, "scanner %d, nlohmann %d\n", ours, theirs);
        fuzz::require(ours == theirs, "the scanner accepts exactly what nlohmann/json accepts");
    }
    for (auto r :
         {mock::route::chat, mock::route::completions, mock::route::embeddings, mock::route::responses}) {
        mock::request_info info;
        auto err = mock::parse_request(r, text, info);
        if (!ours)
            fuzz::require(err.has_value() && err->status == 400, "invalid JSON is a 400");
        if (err)
            fuzz::require(err->status == 400 && !err->message.empty(),
                          "a request error is a 400 with a message");
        (void)mock::estimate_prompt_tokens(info);
    }
    return 0;
}
