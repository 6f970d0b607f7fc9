// The two chunked-body decoders: the proxy's (http1::chunked_decoder, relaying client and upstream
// bodies) and bench's (loadgen::response_parser, counting the bytes of every response).
//
// Properties:
//  - the proxy's decoder gives the same bytes, end and error whatever the input split and the
//    output room, and always makes progress while it has input and room;
//  - the two decoders agree: a body the proxy decodes, bench decodes to the same bytes, and one
//    the proxy refuses as malformed or still reads, bench never completes. The proxy's tighter
//    limits (1 KiB of extensions per chunk, 16 KiB of trailers) are the one allowed difference.
#include "bench/loadgen/response_parser.hpp"
#include "proxy/http1.hpp"
#include "tests/fuzz/fuzz_support.hpp"

#include <string>

namespace {

using proxy::http1::chunked_decoder;

struct outcome
{
    std::string data;
    std::size_t consumed = 0;
    bool done = false;
    chunked_decoder::error failure = chunked_decoder::error::none;
};

outcome decode_whole(std::string_view body)
{
    chunked_decoder d;
    outcome o;
    o.data.resize(body.size() + 1);
    auto r = d.decode(body.data(), body.size(), o.data.data(), o.data.size());
    o.data.resize(r.produced);
    o.consumed = r.consumed;
    o.done = d.done();
    o.failure = d.failure();
    return o;
}

outcome decode_split(std::string_view body, std::size_t split, std::size_t cap)
{
    chunked_decoder d;
    outcome o;
    std::string room(cap, '\0');
    for (std::size_t at = 0; at < body.size() && !d.done() && d.failure() == chunked_decoder::error::none;) {
        auto piece = body.substr(at, split);
        std::size_t used = 0;
        while (used < piece.size() && !d.done() && d.failure() == chunked_decoder::error::none) {
            auto r = d.decode(piece.data() + used, piece.size() - used, room.data(), room.size());
            fuzz::require(r.consumed <= piece.size() - used && r.produced <= room.size(),
                          "results stay in bounds");
            fuzz::require(r.consumed > 0 || r.produced > 0 || d.done() ||
                              d.failure() != chunked_decoder::error::none,
                          "the decoder makes progress while it has input and room");
            o.data.append(room.data(), r.produced);
            used += r.consumed;
        }
        at += used;
        o.consumed = at;
    }
    o.done = d.done();
    o.failure = d.failure();
    return o;
}

struct bench_outcome
{
    std::string data;
    bool done = false;
    bool failed = false;
};

bench_outcome bench_decode(std::string_view body)
{
    std::string msg = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
    msg.append(body);
    loadgen::response_parser p;
    bench_outcome o;
    std::string_view rest = msg;
    while (!p.done() && !p.failed()) {
        std::string_view piece;
        auto used = p.put(rest, piece);
        fuzz::require(used <= rest.size(), "bench consumes inside its input");
        o.data.append(piece);
        if (used == 0)
            break;
        rest.remove_prefix(used);
    }
    o.done = p.done();
    o.failed = p.failed();
    return o;
}

bool limit_error(chunked_decoder::error e)
{
    return e == chunked_decoder::error::extension_too_long || e == chunked_decoder::error::trailer_too_long;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    fuzz::input in(data, size);
    const std::size_t split = 1 + in.byte() % 64;
    const std::size_t cap = 1 + in.byte() % 64;
    const std::string_view body = in.rest();

    const auto whole = decode_whole(body);
    const auto split_run = decode_split(body, split, cap);
    fuzz::require(whole.data == split_run.data, "the same bytes whatever the split");
    fuzz::require(whole.done == split_run.done, "the same end whatever the split");
    fuzz::require(whole.failure == split_run.failure, "the same error whatever the split");
    if (whole.done)
        fuzz::require(whole.consumed == split_run.consumed,
                      "the body ends at the same byte whatever the split");

    const auto bench = bench_decode(body);
    if (limit_error(whole.failure))
        return 0;
    if (whole.done) {
        fuzz::require(bench.done, "bench completes a body the proxy completes");
        fuzz::require(bench.data == whole.data, "bench counts the bytes the proxy relays");
    } else {
        // Malformed (the proxy refuses at the first bad byte; bench may still wait for the line's
        // end) or unfinished: bench never counts it as a complete response.
        fuzz::require(!bench.done, "bench does not complete a body the proxy refuses or still reads");
        fuzz::require(whole.data.substr(0, bench.data.size()) == bench.data,
                      "bench's bytes so far are the proxy's");
    }
    return 0;
}
