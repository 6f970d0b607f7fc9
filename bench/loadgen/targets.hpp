// Turning the configuration and the provider table into concrete targets: the proxy (or mock,
// or -url) and, for overhead mode, the direct upstream with the headers the proxy would add.
#pragma once

#include "bench/loadgen/config.hpp"
#include "bench/loadgen/workers.hpp"
#include "common/dotenv.hpp"

#include <string>
#include <variant>
#include <vector>

namespace loadgen {

struct resolved_run
{
    std::string key;                      // results.json key
    std::vector<target_endpoint> targets; // [0] target, [1] direct (overhead mode)
    std::vector<std::uint16_t> ports;     // local ports for process sampling, per target
    bool proxied = false;
    std::string model;
};

// `provider` is one provider name, "mock", or "" for -url. Errors are one line.
std::variant<resolved_run, std::string> resolve_run(const config& c, const common::env_lookup& env,
                                                    const std::string& provider, const std::string& prompt);

// Blocking TCP connect with a timeout; "" when reachable, else the reason.
std::string probe(const target_endpoint& t, std::chrono::milliseconds timeout);

} // namespace loadgen
