// results.json: building one provider's entry from a run and writing it (re-running one provider
// rewrites only its key). Merging is in merge.hpp, the stdout table in result_table.hpp.
#pragma once

#include "bench/loadgen/config.hpp"
#include "bench/loadgen/result_blocks.hpp"
#include "bench/loadgen/workers.hpp"
#include "common/machine_load.hpp"
#include "common/process_census.hpp"
#include "common/process_sampler.hpp"

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace loadgen {

struct run_summary
{
    std::string key; // results.json key: provider, "mock" or "url"
    const config* cfg = nullptr;
    std::vector<target_endpoint> targets; // [0] the target, [1] direct when alternating
    run_output out;
    std::optional<common::process_usage> server;        // listening on the target port
    std::optional<common::process_usage> direct_server; // listening on the direct port
    std::vector<nlohmann::json> baselines;              // per target: baseline_json, or null (-baseline 0)
    bool proxied = false; // the target is the proxy (a provider, not mock or -url)
    std::string effective_model;
    std::optional<common::machine_load> machine; // all CPUs over the load
    // The processes other than bench and the sampled servers over the load.
    std::optional<common::other_processes_cpu> other_processes;
};

nlohmann::json build_entry(const run_summary& s);

// Reads `path` (a missing file is an empty object), sets `key`, writes it back.
bool write_results(const std::string& path, const std::string& key, const nlohmann::json& entry,
                   std::string& error);

// RFC 3339 UTC, seconds precision.
std::string now_rfc3339();

} // namespace loadgen
