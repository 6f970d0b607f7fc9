// Failure plan of mock-llm: which failure (if any) a model request gets, from the configured
// percentages, the per-API-key rules and the periodic stall. Sans-I/O: the caller passes the
// RNG and the request's sequence number.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace mock {

enum class failure_kind : std::uint8_t
{
    none,
    http500,   // 500 with an OpenAI server_error body
    http429,   // 429 rate_limit_exceeded with Retry-After
    http503,   // 503 overloaded
    reset,     // connection reset (RST) without an answer
    hang,      // no answer until the client gives up
    cut,       // the body (or stream) stops half-way and the connection closes
    malformed, // 200 with a body that is not valid JSON (streams: one bad data line)
};
inline constexpr std::size_t failure_kind_count = 8;

// "500", "429", "503", "reset", "hang", "cut", "malformed" (and "none").
std::optional<failure_kind> parse_failure_kind(std::string_view text);
std::string_view to_string(failure_kind k);

// Percentages 0..100 indexed by failure_kind (index 0, none, is unused).
struct failure_rates
{
    std::array<double, failure_kind_count> pct{};
    double& operator[](failure_kind k) { return pct[static_cast<std::size_t>(k)]; }
    double operator[](failure_kind k) const { return pct[static_cast<std::size_t>(k)]; }
    double total() const;
};

// "KEY=429" (any failure kind) or "KEY=latency:50ms". Several rules may name the same key.
struct key_rule
{
    std::string key;
    std::optional<failure_kind> fail;
    std::optional<std::chrono::nanoseconds> latency;
};
std::optional<key_rule> parse_key_rule(std::string_view text);

struct failure_decision
{
    failure_kind fail = failure_kind::none;
    std::optional<std::chrono::nanoseconds> latency; // a key rule's latency, replacing the model
    std::chrono::nanoseconds stall{0};               // extra hold of the periodic stall
};

class failure_plan
{
public:
    failure_plan(failure_rates rates, std::vector<key_rule> rules, std::uint64_t stall_every,
                 std::chrono::nanoseconds stall_for);

    // `sequence` is the 1-based number of the model request (shared by all workers) and
    // `api_key` the bearer token or x-api-key, empty when none. Key rules win over percentages.
    failure_decision decide(std::uint64_t sequence, std::string_view api_key, std::mt19937_64& rng) const;

    bool has_random_failures() const { return total_ > 0; }

private:
    failure_rates rates_;
    double total_ = 0;
    std::vector<key_rule> rules_;
    std::uint64_t stall_every_;
    std::chrono::nanoseconds stall_for_;
};

} // namespace mock
