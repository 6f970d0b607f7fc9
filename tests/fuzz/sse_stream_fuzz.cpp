// The server-sent-events parser bench counts streamed events with (time to first event, gaps,
// "[DONE]"): the same bytes give the same events whatever the split, including a CRLF cut between
// its CR and its LF, and every dispatched event has data.
#include "common/sse.hpp"
#include "tests/fuzz/fuzz_support.hpp"

#include <string>
#include <vector>

namespace {

std::vector<common::sse_event> parse(std::string_view bytes, std::size_t split)
{
    common::sse_parser p;
    std::vector<common::sse_event> out;
    for (std::size_t at = 0; at < bytes.size(); at += split) {
        auto n = p.feed(bytes.substr(at, split), [&](const common::sse_event& e) { out.push_back(e); });
        (void)n;
    }
    return out;
}

bool same(const common::sse_event& a, const common::sse_event& b)
{
    return a.event == b.event && a.data == b.data && a.id == b.id;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    fuzz::input in(data, size);
    const std::size_t split = 1 + in.byte() % 32;
    const std::string_view bytes = in.rest();

    const auto whole = parse(bytes, bytes.size() + 1);
    const auto parts = parse(bytes, split);
    fuzz::require(whole.size() == parts.size(), "the same number of events whatever the split");
    for (std::size_t i = 0; i < whole.size(); ++i)
        fuzz::require(same(whole[i], parts[i]), "the same events whatever the split");
    std::size_t blank_lines = 0;
    for (std::size_t i = 0; i < bytes.size(); ++i)
        blank_lines += bytes[i] == '\n' || bytes[i] == '\r';
    fuzz::require(whole.size() <= blank_lines, "an event needs a line end");
    return 0;
}
