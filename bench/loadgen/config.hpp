// bench's configuration: one struct with defaults and a pure parser of the command line.
// Flags take one or two dashes and `=` or a space; durations are plain seconds or carry a unit.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace loadgen {

enum class request_kind
{
    chat,
    embedding
};

struct config
{
    // What to drive.
    std::string provider;           // lower-case canonical name, "mock", "all", or "" with -url
    std::string url;                // -url: any target (full URL with path)
    std::string direct = "auto";    // auto | off | URL
    std::string host = "127.0.0.1"; // where the proxy (or mock) listens
    std::string suffix = "v1";      // proxy path prefix
    std::string path;               // endpoint under the suffix; default from request kind
    std::vector<std::pair<std::string, std::string>> headers; // -header 'K: V'
    std::string ca_file; // HTTPS targets: PEM CA certificates trusted besides the system store

    // Load.
    double rate = 0;    // req/s, open loop (0 = closed loop)
    unsigned users = 0; // closed loop
    std::chrono::nanoseconds duration = std::chrono::seconds(10);
    std::chrono::nanoseconds warmup{0};                          // not recorded
    std::chrono::nanoseconds timeout = std::chrono::seconds(30); // per request
    std::chrono::nanoseconds cooldown = std::chrono::seconds(5); // between providers with "all"
    bool ramp_up = false;
    std::chrono::nanoseconds ramp_up_duration = std::chrono::seconds(10);
    unsigned connections = 256; // open loop: connection bound, per target
    unsigned threads = 1;       // worker threads, one io_context each
    // Overhead mode alternation; without -window, -duration / (2 * min_pairs_for_interval) within
    // [100 ms, 1 s] (default_window).
    std::chrono::nanoseconds window = std::chrono::seconds(1);
    std::chrono::nanoseconds late_threshold = std::chrono::milliseconds(1); // open loop: a send later is late
    // Sequential requests to each target before the load (0 = none): each target's latency
    // alone, against which its latency under load shows queueing (result_notes).
    unsigned baseline = 10;

    // Payload.
    request_kind kind = request_kind::chat;
    bool big_payload = false;
    std::string prompt_file;
    std::string model; // "" = the provider's default
    bool stream = false;

    // Search.
    bool find_max = false;
    double slo_ms = 0;
    std::uint64_t seed = 1;

    // Output.
    std::string output = "results.json";
    std::string report; // HTML file
    bool json = false;
    bool quiet = false;
    bool debug = false;
    std::string log_level = "info";
    std::string env_file = ".env";

    bool open_loop() const { return users == 0; }
};

inline constexpr unsigned max_baseline_requests = 1000;

// One command-line argument as bench spells flags: one or two dashes, then the name, then the
// value after '=' when there is one (otherwise it is the next argument, or none for a boolean).
// nullopt when `arg` is not a flag. Shared by parse_args and the merge and report subcommands.
struct flag_parts
{
    std::string name;
    std::optional<std::string> value;
};
std::optional<flag_parts> split_flag(std::string_view arg);

// Returns the config or one line describing the first problem. Never exits, never reads files.
std::variant<config, std::string> parse_args(const std::vector<std::string>& args);

// The -window a run of `duration` gets when none is given: min_pairs_for_interval window pairs,
// each window between 100 ms (a few requests at low rates) and 1 s.
std::chrono::nanoseconds default_window(std::chrono::nanoseconds duration);

std::string usage();

} // namespace loadgen
