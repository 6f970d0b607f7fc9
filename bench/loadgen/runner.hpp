// One benchmark session: for each provider of the run, resolve its targets, check that they
// answer, sample the servers, drive the load, and write its results.json entry.
#pragma once

#include "bench/loadgen/config.hpp"
#include "common/dotenv.hpp"

#include <nlohmann/json.hpp>

namespace loadgen {

struct session_result
{
    int exit_code = 0;      // 0, or 2 when a target could not be reached or answered nothing
    nlohmann::json entries; // key -> entry, for -report and -json
};

session_result run_session(const config& c, const common::env_lookup& env, const std::string& prompt);

} // namespace loadgen
