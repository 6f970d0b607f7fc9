// proxy error category: one mapping from domain errors to statuses; metrics rendering.
#include "proxy/errors.hpp"
#include "proxy/metrics.hpp"

#include <catch2/catch.hpp>

using proxy::proxy_errc;

TEST_CASE("proxy error mapping", "[unit][proxy]")
{
    CHECK(proxy::status_of(proxy_errc::bad_request) == 400);
    CHECK(proxy::status_of(proxy_errc::unauthorized) == 401);
    CHECK(proxy::status_of(proxy_errc::not_found) == 404);
    CHECK(proxy::status_of(proxy_errc::method_not_allowed) == 405);
    CHECK(proxy::status_of(proxy_errc::request_timeout) == 408);
    CHECK(proxy::status_of(proxy_errc::payload_too_large) == 413);
    CHECK(proxy::status_of(proxy_errc::uri_too_long) == 414);
    CHECK(proxy::status_of(proxy_errc::headers_too_large) == 431);
    CHECK(proxy::status_of(proxy_errc::upstream_unreachable) == 502);
    CHECK(proxy::status_of(proxy_errc::upstream_malformed) == 502);
    CHECK(proxy::status_of(proxy_errc::overloaded) == 503);
    CHECK(proxy::status_of(proxy_errc::upstream_timeout) == 504);
    CHECK(proxy::status_of(proxy_errc::version_not_supported) == 505);
    std::error_code ec = proxy_errc::upstream_timeout;
    CHECK(ec.category().name() == std::string("proxy"));
    CHECK(ec.message() == "upstream did not answer in time");
    CHECK(proxy::code_of(proxy_errc::upstream_timeout) == "upstream_timeout");
}

TEST_CASE("metrics: per-worker counters summed in Prometheus text", "[unit][proxy]")
{
    proxy::worker_metrics a(1), b(1);
    proxy::bump(a.per_provider[0].requests_by_status[200], 3);
    proxy::bump(b.per_provider[0].requests_by_status[200], 2);
    proxy::bump(b.per_provider[0].requests_by_status[502]);
    a.per_provider[0].proxy_time.observe(200'000);   // 0.2 ms
    b.per_provider[0].proxy_time.observe(3'000'000); // 3 ms
    proxy::bump(a.open_client_connections, 4);
    proxy::bump(b.per_provider[0]
                    .upstream_errors[static_cast<std::size_t>(proxy::upstream_error_kind::connect_refused)]);
    std::vector<const proxy::worker_metrics*> ws{&a, &b};
    std::vector<std::string> names{"bifrost"};
    auto text = proxy::render_metrics(ws, names);
    CHECK(text.find("proxy_requests_total{provider=\"bifrost\",status=\"200\"} 5\n") != std::string::npos);
    CHECK(text.find("proxy_requests_total{provider=\"bifrost\",status=\"502\"} 1\n") != std::string::npos);
    CHECK(text.find("proxy_time_seconds_bucket{provider=\"bifrost\",le=\"0.00025\"} 1\n") !=
          std::string::npos);
    CHECK(text.find("proxy_time_seconds_bucket{provider=\"bifrost\",le=\"0.005\"} 2\n") != std::string::npos);
    CHECK(text.find("proxy_time_seconds_count{provider=\"bifrost\"} 2\n") != std::string::npos);
    CHECK(text.find("proxy_open_client_connections 4\n") != std::string::npos);
    CHECK(text.find("proxy_upstream_errors_total{provider=\"bifrost\",kind=\"connect_refused\"} 1\n") !=
          std::string::npos);
}
