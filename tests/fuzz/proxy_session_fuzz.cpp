// The proxy's whole request path in one process: a real worker (client_session, relay, the
// upstream pool, deadlines) runs on a thread of its own, and this harness plays both of its peers
// over loopback: a client that sends the input's request bytes and an upstream that answers each
// request head with the input's response bytes. The sans-I/O targets check the parsers; this one
// checks the coroutines that drive them: pipelining, Expect, bodies that cross the relay buffer,
// 1xx, cut and malformed responses, clients that go away, the retry after a pooled connection
// turned out dead (by default the upstream closes every connection it answered, and the pool
// keeps some), and the reuse of a live pooled connection (bit 6 below).
//
// Input: byte 0 flags (bit 0: the provider with a configured key and a request timeout;
// bit 1: the client closes as soon as it has written, reading nothing; bit 2: the client pauses
// after the first part of its bytes; bit 3: the upstream pauses after the first part of its
// answer; bits 4 and 5: "{big}" in the client's or the upstream's bytes stands for 70,000 bytes,
// more than the proxy's 64 KiB relay buffer, which a short input could not hold; bit 6: the upstream
// keeps its connections open, see keepalive_plan; bit 7: byte 5 holds more flags); bytes 1-2 the
// length of the client's bytes (little-endian); byte 3 and 4 where the client's and the upstream's
// bytes are split (a fraction of 256); byte 5 if bit 7 says so (bit 0: the client sends its bytes
// three times over; bit 1: the upstream's bytes are the body of a 200 response the harness frames,
// with a Content-Length or, with bit 2, in two chunks cut at the upstream's split; bit 3: the
// client's bytes are the body of a POST to the chat route the harness frames); then the
// client's bytes, then the upstream's. Byte 5 is how a run reaches the reuse of a live connection
// often: it needs two requests on one client connection and an answer that is exactly one
// keep-alive response, which mutated bytes rarely are (0.1% of the inputs without it).
//
// Properties, for every input:
//  - the session ends, the proxy closes the client connection, and no request, lease or open
//    connection is left counted in the worker (metrics gauges back to zero);
//  - what the client receives is a sequence of HTTP/1.1 responses as Beast reads them, one
//    final response per request at most, a response to HEAD without a body, the last one
//    possibly cut short and nothing after a "Connection: close" one; no Transfer-Encoding to an
//    HTTP/1.0 client, and only for one a body that ends at the close;
//  - a final response is the upstream's answer to that request (matched by X-Request-Id), with its
//    status and body byte for byte, or the proxy's own error; with a kept-open upstream, each
//    answer names the request it answers (X-Fuzz-Echo), and no client gets another's;
//  - every final response carries one X-Request-Id and, last, the proxy's Server-Timing; no hop-by-hop
//    field and no 1xx but the proxy's own 100 reach the client; the configured key never does
//    (unless the upstream sends it back or the client wrote it);
//  - every request head the upstream receives is one the proxy's own guard accepts, with one
//    Host (the configured one), no Expect, no hop-by-hop field, the configured key in place of
//    the client's, and an X-Request-Id; a request it receives whole is one the client sent, with
//    the same method, target and body, byte for byte (each request, on a kept-open connection).
#include "common/http_headers.hpp"
#include "proxy/config.hpp"
#include "proxy/header_rewrite.hpp"
#include "proxy/metrics.hpp"
#include "proxy/relay.hpp"
#include "proxy/request_guard.hpp"
#include "proxy/worker.hpp"
#include "tests/fuzz/fuzz_support.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <boost/asio/post.hpp>
#include <boost/beast/http/parser.hpp>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <future>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <string>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace proxy {
// The test hook worker.hpp declares: the harness reads the worker's state on the worker's thread.
struct worker_access
{
    static net::io_context& ioc(worker& w) { return *w.ioc_; }
    static worker_context& context(worker& w) { return *w.ctx_; }
};
} // namespace proxy

namespace {

using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr std::string_view configured_key = "Bearer sk-fuzz-configured-key";

// The worker and the upstream's listening socket live for the whole fuzzing process.
struct fixture
{
    int upstream_listener = -1;
    std::uint16_t upstream_port = 0;
    proxy::config cfg;
    std::unique_ptr<proxy::worker> w;
    std::uint16_t ports[2] = {0, 0};
    std::thread thread;

    fixture()
    {
        std::signal(SIGPIPE, SIG_IGN);
        spdlog::set_level(spdlog::level::off);
        upstream_listener = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof a;
        fuzz::require(upstream_listener >= 0 &&
                          ::bind(upstream_listener, reinterpret_cast<sockaddr*>(&a), len) == 0 &&
                          ::listen(upstream_listener, 128) == 0 &&
                          ::getsockname(upstream_listener, reinterpret_cast<sockaddr*>(&a), &len) == 0,
                      "the harness's upstream listens");
        upstream_port = ntohs(a.sin_port);

        const auto base = "http://127.0.0.1:" + std::to_string(upstream_port) + "/v1";
        for (int i = 0; i < 2; ++i) {
            proxy::provider_config p;
            p.name = i == 0 ? "plain" : "keyed";
            p.upstream = *common::parse_url(base);
            // Limits and deadlines a fuzz input can reach; none of them should run out, since
            // both peers always finish (the harness's own deadline is longer).
            p.stream_idle_timeout = 2s;
            p.first_byte_timeout = 2s;
            if (i == 1) {
                p.headers.push_back({"Authorization", std::string(configured_key)});
                p.headers.push_back({"x-portkey-provider", "openai"});
                p.request_timeout = 3s;
            }
            cfg.providers.push_back(std::move(p));
        }
        cfg.log_level = "off";
        cfg.max_header_bytes = 2048;
        cfg.max_header_count = 24;
        cfg.max_url_bytes = 512;
        // One "{big}" body (70,000 bytes) is held whole for a retry; two are streamed past
        // --retry-body-max, a chunked one after its buffer grew to it; three cross the body limit.
        cfg.max_body_bytes = 192 * 1024;
        cfg.retry_body_max = 100 * 1024;
        cfg.header_timeout = 2s;
        cfg.keepalive_timeout = 2s;
        cfg.body_timeout = 2s;
        cfg.connect_timeout = 2s;
        cfg.write_timeout = 2s;
        cfg.drain_timeout = 1s;
        w = std::make_unique<proxy::worker>(cfg, 0);
        for (std::size_t i = 0; i < 2; ++i)
            ports[i] = w->listen(i, 0);
        thread = std::thread([this] { w->run(); });
    }

    ~fixture()
    {
        w->request_shutdown();
        thread.join();
        w.reset();
        ::close(upstream_listener);
    }

    // What the worker's own thread says once it has run everything queued before this call.
    struct state
    {
        std::size_t sessions, in_upstream;
        std::uint64_t accepted, open_connections, busy[2];
    };
    state probe()
    {
        std::promise<state> done;
        auto got = done.get_future();
        net::post(proxy::worker_access::ioc(*w), [this, &done] {
            auto& ctx = proxy::worker_access::context(*w);
            const auto& m = w->metrics();
            done.set_value(
                state{ctx.sessions.size(),
                      ctx.requests_in_upstream,
                      proxy::read(m.accepted_connections),
                      proxy::read(m.open_client_connections),
                      {proxy::read(m.per_provider[0].pool_busy), proxy::read(m.per_provider[1].pool_busy)}});
        });
        fuzz::require(got.wait_for(5s) == std::future_status::ready, "the worker's loop answers within 5 s");
        return got.get();
    }
};

fixture& the_fixture()
{
    static fixture f;
    return f;
}

void set_nodelay(int fd)
{
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

// A blocking connect to `to`. A signal may interrupt it: libFuzzer's timeout alarm fires every
// -timeout/2 + 1 seconds (601 s by default, right at the end of a 600 s campaign). The connection
// then goes on in the background, so wait for it rather than fail the input.
bool connect_blocking(int fd, const sockaddr_in& to)
{
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&to), sizeof to) == 0)
        return true;
    if (errno == EINTR) {
        pollfd p{fd, POLLOUT, 0};
        int ready;
        while ((ready = ::poll(&p, 1, 5000)) < 0 && errno == EINTR) {
        }
        int err = 0;
        socklen_t len = sizeof err;
        if (ready > 0 && ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0)
            return true;
        errno = ready > 0 ? err : ETIMEDOUT;
    }
    std::fprintf(stderr, "connect to the proxy: %s\n", std::strerror(errno));
    return false;
}

// One end of a connection the harness plays: bytes to send (after an optional pause), bytes seen.
struct peer
{
    int fd = -1;
    std::string out;       // what is left to send
    std::size_t first = 0; // bytes of `out` to send before the pause
    bool pause = false;
    clock_type::time_point resume_at{};
    bool wrote_all = false, read_eof = false;
    std::size_t sent = 0; // bytes sent so far
    std::string in;

    // Sends what it can; true when everything is sent.
    bool send_some()
    {
        const auto now = clock_type::now();
        while (!out.empty()) {
            if (pause && first == 0) {
                if (resume_at == clock_type::time_point{})
                    resume_at = now + 2ms;
                if (now < resume_at)
                    return false;
                pause = false;
            }
            std::size_t n = pause ? std::min(first, out.size()) : out.size();
            auto sent = ::send(fd, out.data(), n, MSG_NOSIGNAL | MSG_DONTWAIT);
            if (sent < 0) {
                if (errno == EAGAIN || errno == EWOULDBLOCK)
                    return false;
                out.clear(); // the proxy closed: what is left is never sent
                break;
            }
            out.erase(0, static_cast<std::size_t>(sent));
            this->sent += static_cast<std::size_t>(sent);
            if (pause)
                first -= std::min(first, static_cast<std::size_t>(sent));
        }
        return true;
    }
    void read_some()
    {
        char buf[16 * 1024];
        for (;;) {
            auto n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
            if (n > 0) {
                in.append(buf, static_cast<std::size_t>(n));
                continue;
            }
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
                return;
            read_eof = true; // end of stream or reset: either way the proxy closed
            return;
        }
    }
};

// An upstream connection: answers a request head with the input's bytes as soon as it has come.
// By default it answers only the first, then closes its side and reads on until the proxy closes
// (or the input ends); a kept-open connection (keepalive_plan) answers each request in turn.
struct upstream_conn : peer
{
    std::size_t next = 0;       // where the first request not yet whole starts in `in`
    bool next_answered = false; // that request's answer is queued
    bool last = false;          // no more answers: the side closes once they are written
    struct answer
    {
        std::string request_id; // "" when the head had none
        std::size_t end = 0;    // the answer is whole once `sent` reaches this
    };
    std::vector<answer> answers;
};

// A hop-by-hop field the proxy must not relay to the client. Connection is one, but the proxy
// writes its own (close, when it closes).
bool relayed_hop_by_hop(std::string_view name)
{
    const auto id = proxy::http1::classify(name);
    return id != proxy::http1::field_id::connection && proxy::http1::hop_by_hop(id);
}

// Limits no head the proxy writes upstream reaches: the guard checks the rest.
proxy::guard_limits wide_limits()
{
    proxy::guard_limits wide;
    wide.max_header_bytes = 1 << 20;
    wide.max_header_count = 1 << 10;
    wide.max_url_bytes = 1 << 20;
    return wide;
}

// Checks the request head at the front of what the upstream saw on a connection.
// Returns the request's X-Request-Id ("" when no whole head arrived).
std::string check_upstream_head(std::string_view seen, bool keyed, std::uint16_t port)
{
    auto end = proxy::http1::find_head_end(seen);
    if (end == std::string_view::npos)
        return {}; // the proxy wrote part of a head and then the connection went away
    const std::string raw(seen.substr(0, end));
    proxy::http1::request_head up;
    auto rej = proxy::check_request(raw, wide_limits(), up);
    if (rej)
        std::fprintf(stderr, "rejected with %u: %s\n%s\n", rej->status, rej->message.c_str(), raw.c_str());
    fuzz::require(!rej, "the proxy's guard accepts every head the proxy sends upstream");
    using proxy::http1::field_id;
    fuzz::require(up.count(field_id::host) == 1 &&
                      up.find(field_id::host)->value == "127.0.0.1:" + std::to_string(port),
                  "one Host upstream, the configured one");
    fuzz::require(up.count(field_id::expect) == 0, "Expect is not forwarded");
    fuzz::require(up.conn_tokens.empty(), "no Connection header goes upstream");
    for (const auto& f : up.fields)
        fuzz::require(!proxy::http1::hop_by_hop(f.id), "no hop-by-hop field goes upstream");
    fuzz::require(up.count(field_id::x_request_id) == 1, "one X-Request-Id upstream");
    if (keyed)
        fuzz::require(up.count(field_id::authorization) == 1 &&
                          up.find(field_id::authorization)->value == configured_key,
                      "the configured key replaces the client's Authorization");
    return std::string(up.find(field_id::x_request_id)->value);
}

// Beast's string_body, except that it does not reserve the declared Content-Length before any
// byte arrives: a head declaring hundreds of terabytes made the harness itself fail to allocate
// (found by this target, the proxy was not involved). Bodies grow with the bytes that come.
struct harness_body
{
    using value_type = std::string;
    class reader
    {
    public:
        template <bool isRequest, class Fields>
        reader(boost::beast::http::header<isRequest, Fields>&, value_type& body) : body_(body)
        {}
        void init(const boost::optional<std::uint64_t>&, boost::beast::error_code& ec) { ec = {}; }
        template <class ConstBufferSequence>
        std::size_t put(const ConstBufferSequence& buffers, boost::beast::error_code& ec)
        {
            const auto n = boost::asio::buffer_size(buffers);
            const auto old = body_.size();
            body_.resize(old + n);
            ec = {};
            return boost::asio::buffer_copy(boost::asio::buffer(body_.data() + old, n), buffers);
        }
        void finish(boost::beast::error_code& ec) { ec = {}; }

    private:
        value_type& body_;
    };
};

// Beast's parser with its own limits out of the way (the proxy's are what is under test).
template <bool isRequest>
using beast_parser = boost::beast::http::parser<isRequest, harness_body>;
template <bool isRequest>
void lift_limits(beast_parser<isRequest>& p)
{
    p.header_limit(1 << 20);
    p.body_limit(boost::none);
    p.eager(true);
}

// Feeds `bytes` to `p` until its message is done, it wants more or it fails; `used` counts the
// bytes it took. False when Beast throws instead (std::length_error, for a field name over its
// own limit).
template <bool isRequest>
bool feed(beast_parser<isRequest>& p, std::string_view bytes, std::size_t& used, boost::beast::error_code& ec)
{
    try {
        while (!ec && !p.is_done() && used < bytes.size())
            used += p.put(boost::asio::buffer(bytes.data() + used, bytes.size() - used), ec);
    } catch (const std::length_error&) {
        return false;
    }
    return true;
}

// A request read from the front of a byte stream.
struct parsed_request
{
    bool whole = false; // the head and the body to its end were read
    std::size_t used = 0;
    std::string method, target, body;
};
parsed_request read_request(std::string_view bytes)
{
    parsed_request out;
    beast_parser<true> p;
    lift_limits(p);
    boost::beast::error_code ec;
    if (!feed(p, bytes, out.used, ec) || ec || !p.is_done())
        return out;
    out.whole = true;
    out.method = p.get().method_string();
    out.target = p.get().target();
    out.body = std::move(p.get().body());
    return out;
}

// The same request as the proxy's own guard and decoder read it: the fallback where Beast refuses
// what the proxy accepts (a framing field in a chunked body's trailer, which the proxy drops).
parsed_request proxy_read_request(std::string_view bytes, const proxy::guard_limits& limits)
{
    parsed_request out;
    auto end = proxy::http1::find_head_end(bytes);
    proxy::http1::request_head h;
    if (end == std::string_view::npos || proxy::check_request(bytes.substr(0, end), limits, h))
        return out;
    out.method = h.method;
    out.target = h.target;
    const auto framing = proxy::request_framing(h);
    auto rest = bytes.substr(end);
    if (framing.kind == proxy::http1::framing::content_length) {
        if (rest.size() < framing.length)
            return out;
        out.body = rest.substr(0, static_cast<std::size_t>(framing.length));
        out.used = end + static_cast<std::size_t>(framing.length);
    } else if (framing.kind == proxy::http1::framing::chunked) {
        proxy::http1::chunked_decoder dec(limits.max_chunk_ext_bytes);
        std::string buf(rest.size(), '\0');
        auto r = dec.decode(rest.data(), rest.size(), buf.data(), buf.size());
        if (!dec.done())
            return out;
        out.body = buf.substr(0, r.produced);
        out.used = end + r.consumed;
    } else {
        out.used = end;
    }
    out.whole = true;
    return out;
}

// The requests in the client's bytes, in order, as far as Beast (or the proxy where Beast refuses
// what it accepts) can follow them: final response k
// answers request k, and the first request neither can follow is the last the proxy can answer.
// `head` says whether the proxy knows request k is a HEAD: once its request line has passed the
// guard (even its refusals of a HEAD have no body), so that is asked of the guard, with the
// proxy's limits.
struct client_request
{
    bool head = false;   // the proxy knows it is a HEAD
    bool http10 = false; // the proxy knows it is HTTP/1.0
    parsed_request beast;
};
std::vector<client_request> client_requests(std::string_view bytes, const proxy::guard_limits& limits)
{
    std::vector<client_request> out;
    while (!bytes.empty()) {
        auto end = proxy::http1::find_head_end(bytes);
        proxy::http1::request_head h;
        if (end != std::string_view::npos)
            proxy::scan_raw_head(bytes.substr(0, end), limits, h);
        auto beast = read_request(bytes);
        if (!beast.whole)
            beast = proxy_read_request(bytes, limits);
        out.push_back({h.method == "HEAD", !h.method.empty() && h.version == 10, std::move(beast)});
        if (!out.back().beast.whole)
            break;
        bytes.remove_prefix(out.back().beast.used);
    }
    return out;
}

// A request the upstream received whole is one the client sent whole, with the same method, its
// target under the upstream's base path, and the same body (chunked framing aside) byte for byte.
// Returns the bytes the request at the front of `seen` took (0 when it is not whole).
std::size_t check_upstream_request(std::string_view seen, const std::vector<client_request>& sent)
{
    auto up = read_request(seen);
    if (!up.whole)
        return 0; // cut short: the client went away, or the body crossed the limit
    for (const auto& c : sent)
        if (c.beast.whole && c.beast.method == up.method &&
            proxy::map_target(c.beast.target, "/v1") == up.target && c.beast.body == up.body)
            return up.used;
    std::fprintf(stderr, "upstream received %s %s with a %zu-byte body\n", up.method.c_str(),
                 up.target.c_str(), up.body.size());
    fuzz::require(false, "every request the upstream receives is one the client sent, body byte for byte");
    return 0; // not reached
}

// Every request the upstream received on one connection, in order.
void check_upstream_connection(std::string_view seen, bool keyed, std::uint16_t port,
                               const std::vector<client_request>& sent)
{
    while (!check_upstream_head(seen, keyed, port).empty()) {
        const auto used = check_upstream_request(seen, sent);
        if (used == 0)
            return;
        seen.remove_prefix(used);
    }
}

// Reads what the client received as Beast would: a sequence of responses, the last possibly cut.
// The upstream's answer as Beast reads it: the final response after any 1xx.
struct beast_answer
{
    bool whole = false;
    unsigned status = 0;
    std::string body;
};
beast_answer read_answer(std::string_view bytes, bool head_request)
{
    namespace http = boost::beast::http;
    for (;;) {
        beast_parser<false> p;
        lift_limits(p);
        p.skip(head_request);
        boost::beast::error_code ec;
        std::size_t used = 0;
        if (!feed(p, bytes, used, ec))
            return {};
        if ((!ec || ec == http::error::need_more) && p.is_header_done() && !p.is_done() && p.need_eof()) {
            ec = {};
            p.put_eof(ec); // read until close: the harness's upstream closes after its answer
        }
        if (ec || !p.is_done())
            return {};
        const unsigned status = p.get().result_int();
        if (status >= 200 || status == 101)
            return {true, status, std::move(p.get().body())};
        bytes.remove_prefix(used);
    }
}

// Every body byte Beast reads from the upstream's answer, a cut one's included. The proxy frames a
// chunked body anew, in the pieces it reads (and not at all for an HTTP/1.0 client), so bytes the
// upstream split across two chunks may reach the client whole.
std::string answer_bodies(std::string_view bytes)
{
    std::string all;
    while (!bytes.empty()) {
        beast_parser<false> p;
        lift_limits(p);
        boost::beast::error_code ec;
        std::size_t used = 0;
        const bool parsed = feed(p, bytes, used, ec);
        all += p.get().body();
        if (!parsed || ec || !p.is_done() || used == 0)
            break;
        bytes.remove_prefix(used);
    }
    return all;
}

// What a kept-open upstream (input bit 6) answers. Only an answer that is exactly one keep-alive
// response as Beast reads it (any 1xx, then a final HTTP/1.1 response framed by a length or by
// chunks, and nothing after it) keeps a connection open: bytes past a response's end belong to
// an upstream out of step with its own framing, whose next answers no proxy could place. Each
// such answer names the request it answers in an X-Fuzz-Echo field, after its final status line.
struct keepalive_plan
{
    bool keep = false;
    std::size_t echo_at = 0;

    std::string for_request(std::string_view answer, std::string_view request_id) const
    {
        std::string out(answer);
        out.insert(echo_at, "X-Fuzz-Echo: " + std::string(request_id) + "\r\n");
        return out;
    }
};
keepalive_plan plan_keepalive(std::string_view answer)
{
    keepalive_plan plan;
    std::string lower(answer);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (lower.find("x-fuzz-echo") != std::string::npos)
        return plan; // the input's own: the echo would not be the only one
    for (std::size_t at = 0;;) {
        beast_parser<false> p;
        lift_limits(p);
        boost::beast::error_code ec;
        std::size_t used = 0;
        const auto rest = answer.substr(at);
        if (!feed(p, rest, used, ec) || ec || !p.is_done())
            return plan; // cut, malformed, or a body that ends at the close
        const auto& res = p.get();
        if (res.result_int() >= 200) {
            const auto line_end = rest.find("\r\n");
            if (res.result_int() != 101 && res.version() == 11 && p.keep_alive() &&
                at + used == answer.size() && line_end != std::string_view::npos) {
                plan.keep = true;
                plan.echo_at = at + line_end + 2;
            }
            return plan;
        }
        at += used;
    }
}

// Queues an answer on `c` for each request head that has come whole, in order: one, or with a
// keep-alive plan one per request but a HEAD (a body the answer may hold would then be stray
// bytes on the connection, which the proxy cannot tell from the next answer).
void serve(upstream_conn& c, std::string_view answer, const keepalive_plan& plan, bool pause,
           std::uint8_t split)
{
    while (!c.last) {
        const auto rest = std::string_view(c.in).substr(c.next);
        const auto end = proxy::http1::find_head_end(rest);
        if (end == std::string_view::npos)
            return;
        if (!c.next_answered) {
            c.next_answered = true;
            proxy::http1::request_head h;
            std::string id;
            if (!proxy::check_request(rest.substr(0, end), wide_limits(), h))
                if (const auto* field = h.find(proxy::http1::field_id::x_request_id))
                    id = field->value;
            const bool keep = plan.keep && !id.empty() && h.method != "HEAD";
            c.out += keep ? plan.for_request(answer, id) : std::string(answer);
            if (c.answers.empty()) {
                c.pause = pause;
                c.first = c.out.size() * split / 256;
            }
            c.answers.push_back({id, c.sent + c.out.size()});
            if (!keep) {
                c.last = true;
                return;
            }
        }
        // The next request starts where this one's body ends.
        const auto whole = proxy_read_request(rest, wide_limits());
        if (!whole.whole)
            return;
        c.next += whole.used;
        c.next_answered = false;
    }
}

// The proxy's own error: Connection: close, JSON, an OpenAI-shaped body (none for a HEAD).
template <typename Response>
bool proxy_error_shape(const Response& res, bool head_request)
{
    auto has = [&](const char* name, std::string_view value) {
        auto it = res.find(name);
        return it != res.end() && common::iequals(it->value(), value);
    };
    return has("Connection", "close") && has("Content-Type", "application/json") &&
           (head_request ? res.body().empty() : res.body().starts_with("{\"error\":{"));
}

// `answered`: the X-Request-Id of every request the upstream received and answered whole.
// `echoed`: the upstream named the request in each answer it kept the connection open after.
void check_client_bytes(std::string_view got, std::string_view sent,
                        const std::vector<client_request>& requests, std::string_view answer,
                        const std::vector<std::string>& answered, bool echoed)
{
    const auto key = configured_key.substr(7);
    // Unless the upstream itself sends it back (maybe in pieces, chunk by chunk), or the client wrote
    // it (an error names a header).
    if (answer.find(key) == std::string_view::npos && sent.find(key) == std::string_view::npos &&
        answer_bodies(answer).find(key) == std::string::npos)
        fuzz::require(got.find(key) == std::string_view::npos, "the configured key never reaches the client");
    namespace http = boost::beast::http;
    std::size_t finals = 0;
    while (!got.empty()) {
        beast_parser<false> p;
        lift_limits(p);
        p.skip(finals < requests.size() && requests[finals].head);
        boost::beast::error_code ec;
        std::size_t used = 0;
        fuzz::require(feed(p, got, used, ec), "the client receives no field name over Beast's limit");
        if (ec == http::error::need_more)
            ec = {};
        if (ec)
            std::fprintf(stderr, "beast: %s\n%.*s\n", ec.message().c_str(), static_cast<int>(got.size()),
                         got.data());
        fuzz::require(!ec, "the client receives HTTP/1.1 responses");
        if (!p.is_header_done())
            return; // a head cut short: the proxy closed in the middle of writing it
        const auto& res = p.get();
        const unsigned status = res.result_int();
        const bool http10 = status >= 200 && finals < requests.size() && requests[finals].http10;
        if (!p.is_done() && p.need_eof()) {
            // Read until close: all that is left is its body. Only an HTTP/1.0 client gets a
            // response framed so; any other has a length or chunks.
            fuzz::require(http10, "only an HTTP/1.0 client gets a response that ends at the close");
            p.put_eof(ec);
            used = got.size();
        }
        if (http10)
            fuzz::require(res.count("Transfer-Encoding") == 0, "no Transfer-Encoding to an HTTP/1.0 client");
        if (status < 200) {
            fuzz::require(status == 100, "no interim response but the proxy's own 100 Continue");
            fuzz::require(finals < requests.size() && !requests[finals].http10,
                          "no 1xx to an HTTP/1.0 client");
        } else {
            fuzz::require(finals < requests.size(), "no more final responses than requests");
            ++finals;
            fuzz::require(res.count("X-Request-Id") == 1, "every final response has one X-Request-Id");
            // The proxy's own comes after the upstream's (bench reads the last one).
            boost::beast::string_view timing;
            for (const auto& fld : res)
                if (common::iequals(fld.name_string(), "Server-Timing"))
                    timing = fld.value();
            fuzz::require(timing.starts_with("proxy;dur="),
                          "every final response ends its Server-Timing fields with the proxy's");
        }
        for (const auto& f : res)
            fuzz::require(!relayed_hop_by_hop(f.name_string()), "no hop-by-hop field reaches the client");
        if (!p.is_done())
            return; // cut short: nothing may follow, and nothing did (it is the end of the bytes)
        if (status >= 200) {
            // A response the upstream gave: relayed with its status and body, byte for byte (the
            // framing may change); anything else is the proxy's own error (a 502 for an answer
            // it refused, a 413 for a body that crossed the limit while being sent...).
            const bool head_request = requests[finals - 1].head;
            const auto id = std::string(res["X-Request-Id"]);
            auto upstream = read_answer(answer, head_request);
            const bool own_error = proxy_error_shape(res, head_request);
            if (upstream.whole && std::find(answered.begin(), answered.end(), id) != answered.end() &&
                !own_error) {
                fuzz::require(status == upstream.status, "the client gets the upstream's status");
                fuzz::require(res.body() == upstream.body,
                              "the client gets the upstream's body, byte for byte");
            }
            if (echoed && !own_error && res.count("X-Fuzz-Echo") > 0)
                fuzz::require(res.count("X-Fuzz-Echo") == 1 && res["X-Fuzz-Echo"] == id,
                              "an answer on a kept-open connection reaches the request it answers");
        }
        got.remove_prefix(used);
        if (status >= 200 && !p.keep_alive())
            fuzz::require(got.empty(), "nothing follows a response that closes the connection");
    }
}

// LGB_FUZZ_REUSE_STATS=1 prints, at exit, how many inputs made one upstream connection carry two
// whole answers or more: how often a run reached the reuse of a live pooled connection.
struct reuse_stats
{
    static inline std::size_t inputs = 0, reusing = 0;

    static void record(bool reused)
    {
        static const bool on = std::getenv("LGB_FUZZ_REUSE_STATS") != nullptr;
        static const bool registered = on && std::atexit(print) == 0;
        if (!registered)
            return;
        ++inputs;
        reusing += reused;
    }
    static void print()
    {
        std::fprintf(stderr, "proxy_session: %zu of %zu inputs reused a live upstream connection\n", reusing,
                     inputs);
    }
};

// "{big}" in `bytes` becomes 70,000 'x' when `expand`.
std::string expanded(std::string_view bytes, bool expand)
{
    std::string out(bytes);
    if (!expand)
        return out;
    constexpr std::string_view marker = "{big}";
    for (auto at = out.find(marker); at != std::string::npos; at = out.find(marker, at + 70'000))
        out.replace(at, marker.size(), 70'000, 'x');
    return out;
}

// A well-formed POST to the chat route with `body` and its Content-Length.
std::string framed_request(const std::string& body)
{
    return "POST /v1/chat/completions HTTP/1.1\r\nHost: fuzz\r\nContent-Type: application/json\r\n"
           "Content-Length: " +
           std::to_string(body.size()) + "\r\n\r\n" + body;
}

// A well-formed keep-alive 200 response with `body`: a Content-Length, or two chunks cut at
// `split` (a fraction of 256).
std::string framed_answer(const std::string& body, bool chunked, std::uint8_t split)
{
    std::string out = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n";
    if (!chunked)
        return out + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    out += "Transfer-Encoding: chunked\r\n\r\n";
    const std::size_t cut = body.size() * split / 256;
    for (auto piece : {std::string_view(body).substr(0, cut), std::string_view(body).substr(cut)}) {
        if (piece.empty())
            continue;
        char size[20];
        std::snprintf(size, sizeof size, "%zx\r\n", piece.size());
        out.append(size).append(piece).append("\r\n");
    }
    return out + "0\r\n\r\n";
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    auto& f = the_fixture();
    fuzz::input in(data, size);
    // LGB_FUZZ_KEEP_OPEN=1 turns bit 6 on, and byte 5's bits 0 and 1 (without taking a byte 5
    // from inputs that have none, so the seeds keep their meaning): every input has a kept-open
    // upstream that frames its answers itself and a client that sends its bytes three times, so
    // that a campaign spends its time on the reuse of live pooled connections. Inputs without a
    // byte 5 get bit 3 too: their client's bytes become a request body, so the guard lets them
    // through (mutated heads are mostly refused before any upstream contact); inputs with one
    // keep their own heads unless they set it.
    static const bool keep_open = std::getenv("LGB_FUZZ_KEEP_OPEN") != nullptr;
    const std::uint8_t input_flags = in.byte();
    const std::uint8_t flags = input_flags | (keep_open ? 64 : 0);
    const bool keyed = flags & 1, client_aborts = flags & 2;
    std::size_t client_len = in.byte();
    client_len |= std::size_t{in.byte()} << 8;
    const std::uint8_t client_split = in.byte(), upstream_split = in.byte();
    const bool has_more = input_flags & 128;
    const std::uint8_t more = (has_more ? in.byte() : 0) | (keep_open ? (has_more ? 3 : 11) : 0);
    auto rest = in.rest();
    client_len = std::min(client_len, rest.size());
    const std::string answer =
        (more & 2) ? framed_answer(expanded(rest.substr(client_len), flags & 32), more & 4, upstream_split)
                   : expanded(rest.substr(client_len), flags & 32);
    const auto plan = (flags & 64) ? plan_keepalive(answer) : keepalive_plan{};

    // A client that closes at once may be done before the proxy has even accepted it: the input
    // ends only once the proxy has accepted the connection and its session has ended.
    const auto accepted_before = f.probe().accepted;
    peer client;
    client.out = expanded(rest.substr(0, client_len), flags & 16);
    if (more & 8)
        client.out = framed_request(client.out);
    if (more & 1)
        client.out = client.out + client.out + client.out;
    client.pause = flags & 4;
    client.first = client.out.size() * client_split / 256;
    client.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(f.ports[keyed ? 1 : 0]);
    fuzz::require(connect_blocking(client.fd, a), "the proxy accepts");
    set_nodelay(client.fd);
    const std::string sent = client.out;

    std::vector<upstream_conn> ups;
    const auto deadline = clock_type::now() + 8s;
    bool client_done = false;
    for (;;) {
        fuzz::require(clock_type::now() < deadline, "the exchange ends within 8 s (no hang)");
        // The client: its bytes, then half a close (or a whole one), then what the proxy sends.
        if (!client_done) {
            if (!client.wrote_all && client.send_some()) {
                client.wrote_all = true;
                if (client_aborts) {
                    ::close(client.fd);
                    client.fd = -1;
                    client_done = true;
                } else {
                    ::shutdown(client.fd, SHUT_WR);
                }
            }
            if (client.fd >= 0) {
                client.read_some();
                if (client.read_eof) {
                    ::close(client.fd);
                    client.fd = -1;
                    client_done = true;
                }
            }
        }
        // The upstream: new connections, request heads, answers.
        for (;;) {
            int fd = ::accept4(f.upstream_listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (fd < 0)
                break;
            set_nodelay(fd);
            upstream_conn c;
            c.fd = fd;
            ups.push_back(std::move(c));
        }
        for (auto& c : ups) {
            if (c.fd < 0)
                continue;
            c.read_some();
            serve(c, answer, plan, flags & 8, upstream_split);
            if (!c.out.empty())
                c.send_some();
            if (c.last && c.out.empty() && !c.wrote_all) {
                c.wrote_all = true;
                ::shutdown(c.fd, SHUT_WR);
            }
            if (c.read_eof) {
                ::close(c.fd);
                c.fd = -1;
            }
        }
        if (client_done) {
            auto s = f.probe();
            if (s.accepted > accepted_before && s.sessions == 0) {
                fuzz::require(s.in_upstream == 0, "no request is left counted in its upstream phase");
                fuzz::require(s.open_connections == 0, "the open-connections gauge is back to zero");
                fuzz::require(s.busy[0] == 0 && s.busy[1] == 0, "no upstream connection is left leased");
                break;
            }
        }
        // Wait for something to happen (short: pauses and the worker's progress are polled).
        std::vector<pollfd> fds;
        if (client.fd >= 0)
            fds.push_back({client.fd, static_cast<short>(POLLIN | (client.wrote_all ? 0 : POLLOUT)), 0});
        fds.push_back({f.upstream_listener, POLLIN, 0});
        for (auto& c : ups)
            if (c.fd >= 0)
                fds.push_back({c.fd, static_cast<short>(POLLIN | (c.out.empty() ? 0 : POLLOUT)), 0});
        ::poll(fds.data(), fds.size(), 1);
    }
    // Connections the proxy opened but the harness had not accepted yet: their bytes belong to
    // this input (the next one must not read them as its own).
    for (int fd;
         (fd = ::accept4(f.upstream_listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0;) {
        upstream_conn c;
        c.fd = fd;
        c.read_some();
        ups.push_back(std::move(c));
    }
    // LGB_FUZZ_VERBOSE=1 shows both sides when replaying one input.
    static const bool verbose = std::getenv("LGB_FUZZ_VERBOSE") != nullptr;
    if (verbose) {
        for (const auto& c : ups)
            std::fprintf(stderr, "--- upstream received %zu bytes:\n%.*s\n", c.in.size(),
                         static_cast<int>(std::min<std::size_t>(c.in.size(), 2048)), c.in.data());
        std::fprintf(stderr, "--- client received %zu bytes:\n%.*s\n", client.in.size(),
                     static_cast<int>(std::min<std::size_t>(client.in.size(), 2048)), client.in.data());
    }
    const auto requests = client_requests(sent, proxy::limits_of(f.cfg)); // the session's own limits
    std::vector<std::string> answered;
    bool reused = false;
    for (auto& c : ups) {
        if (c.fd >= 0)
            ::close(c.fd);
        check_upstream_connection(c.in, keyed, f.upstream_port, requests);
        std::size_t whole = 0;
        for (const auto& a : c.answers)
            if (!a.request_id.empty() && c.sent >= a.end) {
                answered.push_back(a.request_id);
                ++whole;
            }
        reused = reused || whole >= 2;
    }
    reuse_stats::record(reused);
    if (!client_aborts)
        check_client_bytes(client.in, sent, requests, answer, answered, plan.keep);
    return 0;
}
