// mock-llm configuration: one struct with defaults, and a pure parser of flags and environment.
#pragma once

#include "bench/mock/failure_plan.hpp"
#include "bench/mock/latency_model.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace common {
class env_lookup;
}

namespace mock {

struct config
{
    std::string bind = "127.0.0.1";
    std::uint16_t port = 8000; // 0 = any free port (printed on the listening line)
    unsigned threads = 1;      // worker threads, one io_context and one SO_REUSEPORT acceptor each

    latency_spec latency;                         // delay before a non-stream answer (and the default TTFT)
    std::optional<std::chrono::nanoseconds> ttft; // streams: delay before the first chunk
    std::chrono::nanoseconds token_gap{0};        // streams: delay between chunks
    unsigned chunks = 8;                          // streams: content chunks per answer
    unsigned tokens_per_chunk = 1;                // completion tokens per chunk
    bool big_payload = false;                     // ~10 KB of completion content
    unsigned embedding_dim = 1536;

    failure_rates failures;            // percentages 0..100, summed at most 100
    unsigned retry_after_s = 1;        // Retry-After of the 429 answers, seconds
    std::optional<std::uint64_t> seed; // RNG seed (random when unset)
    std::vector<key_rule> key_rules;
    std::uint64_t stall_every = 0;             // every Nth model request is held ...
    std::chrono::nanoseconds stall_for{0};     // ... this much longer
    std::uint64_t max_body = 16 * 1024 * 1024; // bytes; larger bodies get 413

    std::string tls_cert; // PEM files; both set = serve HTTPS
    std::string tls_key;

    std::string log_level = "info";
    std::string env_file = ".env";
    bool help = false;
};

struct parse_result
{
    std::optional<mock::config> config; // set on success
    std::string error;                  // one line, set on failure
};

// The --env-file value of `args` (or MOCK_ENV_FILE from the process environment, or ".env"),
// so that main can load the file before parsing the rest.
std::string env_file_from_args(const std::vector<std::string>& args);

// Pure: flags in `args` (argv without the program name, "--x v" or "--x=v") win over `env`
// (process environment, then .env). Never exits.
parse_result parse_args(const std::vector<std::string>& args, const common::env_lookup& env);

// The --help text.
std::string usage();

// One line describing the effective configuration, for the startup log.
std::string describe(const config& c);

} // namespace mock
