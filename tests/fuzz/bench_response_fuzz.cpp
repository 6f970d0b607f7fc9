// bench's response parser (loadgen::response_parser), which decides every count and latency bench
// reports: a response arriving in any split must give the same status, body bytes, end, error
// and keep-alive verdict as the same bytes arriving at once. A parser that depended on the split
// would turn the kernel's segment boundaries into wrong numbers.
#include "bench/loadgen/response_parser.hpp"
#include "tests/fuzz/fuzz_support.hpp"

#include <cmath>
#include <string>

namespace {

struct outcome
{
    std::string data;
    unsigned status = 0;
    bool header_done = false;
    bool done = false;
    bool failed = false;
    bool keep_alive = false;
    double server_timing = -1;
    std::size_t consumed = 0;
};

// Offers `buf` to the parser until it needs more bytes or the response ends; returns bytes used.
std::size_t drain(loadgen::response_parser& p, std::string_view buf, std::string& data)
{
    std::size_t used = 0;
    while (!p.done() && !p.failed()) {
        std::string_view piece;
        auto rest = buf.substr(used);
        auto n = p.put(rest, piece);
        fuzz::require(n <= rest.size(), "put consumes inside its input");
        fuzz::require(piece.empty() ||
                          (piece.data() >= rest.data() && piece.data() + piece.size() <= rest.data() + n),
                      "a body piece is a view into the consumed bytes");
        data.append(piece);
        if (n == 0)
            break;
        used += n;
    }
    return used;
}

outcome finish(loadgen::response_parser& p, outcome o)
{
    if (!p.done() && !p.failed() && p.need_eof())
        p.put_eof();
    o.status = p.status();
    o.header_done = p.header_done();
    o.done = p.done();
    o.failed = p.failed();
    o.keep_alive = p.keep_alive();
    o.server_timing = p.server_timing_ms();
    return o;
}

outcome parse_whole(std::string_view msg)
{
    loadgen::response_parser p;
    outcome o;
    o.consumed = drain(p, msg, o.data);
    return finish(p, std::move(o));
}

outcome parse_split(std::string_view msg, std::size_t split)
{
    loadgen::response_parser p;
    outcome o;
    std::string buf; // what the connection holds and the parser has not consumed
    for (std::size_t at = 0; at < msg.size() && !p.done() && !p.failed(); at += split) {
        buf.append(msg.substr(at, split));
        auto used = drain(p, buf, o.data);
        buf.erase(0, used);
        o.consumed += used;
    }
    return finish(p, std::move(o));
}

bool same_timing(double a, double b)
{
    return a == b || (std::isnan(a) && std::isnan(b));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    fuzz::input in(data, size);
    const std::size_t split = 1 + in.byte() % 64;
    const std::string_view msg = in.rest();

    const auto whole = parse_whole(msg);
    const auto parts = parse_split(msg, split);
    fuzz::require(!(whole.done && whole.failed), "done and failed are exclusive");
    fuzz::require(whole.status == parts.status, "the same status whatever the split");
    fuzz::require(whole.header_done == parts.header_done,
                  "the head ends at the same point whatever the split");
    fuzz::require(whole.done == parts.done, "the same end whatever the split");
    fuzz::require(whole.failed == parts.failed, "the same error whatever the split");
    fuzz::require(whole.data == parts.data, "the same body bytes whatever the split");
    if (whole.done) {
        fuzz::require(whole.consumed == parts.consumed,
                      "the response ends at the same byte whatever the split");
        fuzz::require(whole.keep_alive == parts.keep_alive, "the same keep-alive verdict whatever the split");
        fuzz::require(same_timing(whole.server_timing, parts.server_timing),
                      "the same Server-Timing whatever the split");
        fuzz::require((whole.status >= 200 && whole.status <= 999) || whole.status == 101,
                      "a complete response has a final status (101 ends the HTTP exchange too)");
    }
    return 0;
}
