// The proxy's configuration: one struct with defaults, built by a pure parse_args from the
// command line, the environment (process over .env) and an optional --config JSON file.
#pragma once

#include "common/dotenv.hpp"
#include "common/providers.hpp"
#include "common/url.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace proxy {

using ms = std::chrono::milliseconds;

struct provider_config
{
    std::string name;                          // lower-case, as in flags and metrics
    std::uint16_t port = 0;                    // where the proxy listens (0 = any)
    common::url upstream;                      // base URL
    std::vector<common::added_header> headers; // added to every request; values may be secrets
    ms stream_idle_timeout{300'000};           // max gap between two response body pieces
    ms first_byte_timeout{300'000};            // request sent -> response head (LLM calls are long)
    ms request_timeout{0}; // request head in -> response end, whatever the phase; 0: no limit

    // True when the added headers include Authorization (a configured key replaces the client's).
    bool sets_authorization() const;
};

struct config
{
    std::vector<provider_config> providers;
    std::string bind = "127.0.0.1";
    std::uint16_t admin_port = 9090;
    unsigned threads = 1; // worker threads (default: the CPUs the process may run on)
    std::string ca_file;  // extra CA bundle for TLS upstreams
    std::string log_level = "info";
    std::string env_file = ".env";
    bool access_log = false;
    bool trust_forwarded = false;
    std::string proxy_api_key; // inbound bearer key; empty = no inbound auth (secret)

    // Limits (bytes, counts).
    std::size_t max_header_bytes = 16 * 1024;
    std::size_t max_header_count = 100;
    std::size_t max_url_bytes = 8 * 1024;
    std::uint64_t max_body_bytes = 64ull << 20;
    // A request body up to retry_body_max (sized, or chunked: its buffer grows) is read whole
    // before it is sent, so that it can be sent again on a fresh connection when a reused one
    // fails. Larger bodies (and bodies over the budget) are streamed. 0 = only what fits in one
    // relay piece (64 KiB).
    std::uint64_t retry_body_max = 1ull << 20;
    std::uint64_t retry_body_memory = 64ull << 20; // whole process, split across workers
    std::size_t max_chunk_ext_bytes = 1024;
    std::size_t max_client_connections = 10'000; // whole process, split across workers
    std::size_t pool_max_connections = 1024;     // per worker per upstream (idle + busy)
    std::size_t pool_max_idle = 128;             // per worker per upstream

    // Deadlines.
    ms header_timeout{10'000};          // first byte of a request head -> blank line (408)
    ms keepalive_timeout{60'000};       // idle client connection between requests
    ms body_timeout{30'000};            // base budget for the request body (408) ...
    std::uint64_t body_min_rate = 4096; // ... plus one second per this many bytes (bytes/s)
    ms connect_timeout{5'000};          // upstream TCP connect + TLS handshake (504)
    ms write_timeout{30'000};           // one write to a slow-reading client, or to the upstream
    ms pool_idle_timeout{4'000};        // idle pooled upstream connection (below uvicorn/node's 5 s)
    ms drain_timeout{10'000};           // graceful shutdown budget
};

struct parse_result
{
    std::optional<config> cfg;
    std::string error; // one line, for stderr (exit 2)
    bool help = false;
};

// The value of --env-file in `args` (or ".env"): main loads it before calling parse_args.
std::string find_env_file(const std::vector<std::string>& args);

// Pure apart from reading the --config file. Flags win over the environment, which wins over
// the JSON file's providers and the defaults.
parse_result parse_args(const std::vector<std::string>& args, const common::env_lookup& env);

// Applies the text of a --config JSON file (exposed for tests). Returns an error or "".
std::string apply_config_json(config& cfg, const std::string& text, const common::env_lookup& env);

// One-line summary for the log, keys redacted.
std::string describe(const config& cfg);

std::string usage();

} // namespace proxy
