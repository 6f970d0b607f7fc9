// One keep-alive HTTP/1.1 client connection driven by coroutines: connect on first use (TCP, then
// the TLS handshake for HTTPS targets), write a prepared request, read the response (streamed
// piece by piece, with SSE events timed as they arrive). Owned by one load loop on one worker
// thread; the worker's timeout sweep may abort it.
#pragma once

#include "common/histogram.hpp"
#include "common/net.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>

namespace loadgen {

using clock = std::chrono::steady_clock;

enum class drop_reason
{
    none,
    connect,
    timeout,
    reset,
    write,
    read,
    parse,
    tls,   // TCP connected, TLS handshake failed (certificate, protocol)
    unsent // open loop: due longer ago than the timeout when a connection came free; not sent
};
std::string_view to_string(drop_reason r);

class tls_client;

struct exchange_result
{
    unsigned status = 0; // 0 when no response arrived
    drop_reason drop = drop_reason::none;
    clock::time_point sent_at{};        // first byte written (after connecting and any TLS handshake)
    clock::time_point done_at{};        // last byte of the response read
    clock::time_point first_event_at{}; // first SSE data event (streams)
    std::uint32_t events = 0;           // SSE data events, [DONE] excluded
    double server_timing_ms = -1;       // Server-Timing "proxy;dur=", -1 when absent
};

class connection
{
public:
    // `tls` (shared, outliving the connection) makes it an HTTPS connection; null for plain HTTP.
    connection(net::any_io_executor ex, net::ip::tcp::endpoint ep, const tls_client* tls = nullptr);
    ~connection();
    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;

    // Sends `request` and reads the whole response. With `sse`, body pieces go through an SSE
    // parser and the gaps between data events are recorded into `gaps` (when not null).
    common::task<exchange_result> exchange(const std::string& request, bool sse, common::histogram* gaps);

    // Closes the socket so that the pending operation fails; the result says "timeout".
    void abort_for_timeout();
    bool busy() const;
    clock::time_point busy_since() const;
    bool is_open() const;

private:
    struct impl;
    static common::task<drop_reason> open(impl& c);

    std::unique_ptr<impl> impl_;
};

} // namespace loadgen
