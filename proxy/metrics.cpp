// Prometheus text rendering of the per-worker counters, summed at scrape time.
#include "proxy/metrics.hpp"

#include <fmt/format.h>

namespace proxy {

void histogram::observe(std::uint64_t ns)
{
    double ms = static_cast<double>(ns) / 1e6;
    std::size_t i = 0;
    while (i < bounds_ms.size() && ms > bounds_ms[i])
        ++i;
    bump(buckets[i]);
    bump(sum_ns, ns);
}

std::string_view to_string(upstream_error_kind k)
{
    switch (k) {
    case upstream_error_kind::connect_refused:
        return "connect_refused";
    case upstream_error_kind::connect_timeout:
        return "connect_timeout";
    case upstream_error_kind::connect_failed:
        return "connect_failed";
    case upstream_error_kind::tls_handshake:
        return "tls_handshake";
    case upstream_error_kind::write_failed:
        return "write_failed";
    case upstream_error_kind::first_byte_timeout:
        return "first_byte_timeout";
    case upstream_error_kind::stream_idle_timeout:
        return "stream_idle_timeout";
    case upstream_error_kind::malformed:
        return "malformed";
    case upstream_error_kind::closed_early:
        return "closed_early";
    case upstream_error_kind::pool_exhausted:
        return "pool_exhausted";
    case upstream_error_kind::client_disconnect:
        return "client_disconnect";
    case upstream_error_kind::request_timeout:
        return "request_timeout";
    case upstream_error_kind::count_:
        break;
    }
    return "unknown";
}

namespace {

void render_histogram(std::string& out, std::string_view name, std::string_view provider,
                      std::span<const worker_metrics* const> workers, std::size_t p, bool proxy_time)
{
    std::uint64_t cumulative = 0, sum_ns = 0;
    for (std::size_t b = 0; b <= histogram::bounds_ms.size(); ++b) {
        for (auto* w : workers) {
            const auto& h = proxy_time ? w->per_provider[p].proxy_time : w->per_provider[p].upstream_time;
            cumulative += read(h.buckets[b]);
            if (b == 0)
                sum_ns += read(h.sum_ns);
        }
        if (b < histogram::bounds_ms.size())
            out += fmt::format("{}_bucket{{provider=\"{}\",le=\"{}\"}} {}\n", name, provider,
                               histogram::bounds_ms[b] / 1000.0, cumulative);
        else
            out += fmt::format("{}_bucket{{provider=\"{}\",le=\"+Inf\"}} {}\n", name, provider, cumulative);
    }
    out +=
        fmt::format("{}_sum{{provider=\"{}\"}} {:.9f}\n", name, provider, static_cast<double>(sum_ns) / 1e9);
    out += fmt::format("{}_count{{provider=\"{}\"}} {}\n", name, provider, cumulative);
}

template <typename F>
std::uint64_t sum(std::span<const worker_metrics* const> workers, F f)
{
    std::uint64_t s = 0;
    for (auto* w : workers)
        s += f(*w);
    return s;
}

} // namespace

std::string render_metrics(std::span<const worker_metrics* const> workers, std::span<const std::string> names)
{
    std::string out;
    out += "# HELP proxy_requests_total Requests answered, by provider and status.\n"
           "# TYPE proxy_requests_total counter\n";
    for (std::size_t p = 0; p < names.size(); ++p)
        for (std::size_t s = 100; s < 600; ++s)
            if (auto n = sum(workers, [&](const worker_metrics& w) {
                    return read(w.per_provider[p].requests_by_status[s]);
                }))
                out +=
                    fmt::format("proxy_requests_total{{provider=\"{}\",status=\"{}\"}} {}\n", names[p], s, n);
    out += "# HELP proxy_time_seconds Time spent inside the proxy per request, excluding upstream wait.\n"
           "# TYPE proxy_time_seconds histogram\n";
    for (std::size_t p = 0; p < names.size(); ++p)
        render_histogram(out, "proxy_time_seconds", names[p], workers, p, true);
    out += "# HELP proxy_upstream_time_seconds Upstream connect + request sent -> response head.\n"
           "# TYPE proxy_upstream_time_seconds histogram\n";
    for (std::size_t p = 0; p < names.size(); ++p)
        render_histogram(out, "proxy_upstream_time_seconds", names[p], workers, p, false);
    out += "# HELP proxy_upstream_errors_total Upstream failures by kind.\n"
           "# TYPE proxy_upstream_errors_total counter\n";
    for (std::size_t p = 0; p < names.size(); ++p)
        for (std::size_t k = 0; k < static_cast<std::size_t>(upstream_error_kind::count_); ++k)
            out += fmt::format("proxy_upstream_errors_total{{provider=\"{}\",kind=\"{}\"}} {}\n", names[p],
                               to_string(static_cast<upstream_error_kind>(k)),
                               sum(workers, [&](const worker_metrics& w) {
                                   return read(w.per_provider[p].upstream_errors[k]);
                               }));
    auto per_provider = [&](std::string_view name, std::string_view type, std::string_view help, auto field) {
        out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
        for (std::size_t p = 0; p < names.size(); ++p)
            out += fmt::format(
                "{}{{provider=\"{}\"}} {}\n", name, names[p],
                sum(workers, [&](const worker_metrics& w) { return read(w.per_provider[p].*field); }));
    };
    per_provider("proxy_retries_total", "counter", "Requests retried once on a fresh upstream connection.",
                 &provider_metrics::retries);
    per_provider("proxy_pool_idle_connections", "gauge", "Idle pooled upstream connections.",
                 &provider_metrics::pool_idle);
    per_provider("proxy_pool_busy_connections", "gauge", "Upstream connections in use.",
                 &provider_metrics::pool_busy);
    per_provider("proxy_upstream_connects_total", "counter", "New upstream connections opened.",
                 &provider_metrics::pool_connects);
    out += fmt::format("# HELP proxy_open_client_connections Open client connections.\n"
                       "# TYPE proxy_open_client_connections gauge\nproxy_open_client_connections {}\n",
                       sum(workers, [](const worker_metrics& w) { return read(w.open_client_connections); }));
    out += fmt::format("# HELP proxy_client_connections_total Accepted client connections.\n"
                       "# TYPE proxy_client_connections_total counter\nproxy_client_connections_total {}\n",
                       sum(workers, [](const worker_metrics& w) { return read(w.accepted_connections); }));
    out +=
        fmt::format("# HELP proxy_rejected_connections_total Client connections refused over the limit.\n"
                    "# TYPE proxy_rejected_connections_total counter\nproxy_rejected_connections_total {}\n",
                    sum(workers, [](const worker_metrics& w) { return read(w.rejected_connections); }));
    out += fmt::format(
        "# HELP proxy_retry_body_bytes Request body bytes held whole so that they can be resent "
        "(--retry-body-memory).\n# TYPE proxy_retry_body_bytes gauge\nproxy_retry_body_bytes {}\n",
        sum(workers, [](const worker_metrics& w) { return read(w.retry_body_bytes); }));
    return out;
}

} // namespace proxy
