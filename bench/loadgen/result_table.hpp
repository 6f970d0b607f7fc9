// The table bench prints under a run (and `bench report` for a file): each side's row, its
// non-2xx latency, drops and latency alone, the overhead, stream, Server-Timing and server lines,
// then the notes. Sans-I/O: an entry in, text out; any field may be missing or of another type.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace loadgen {

// Human-readable summary of one entry; a figure the entry lacks prints as "-".
std::string format_table(const std::string& key, const nlohmann::json& entry);

} // namespace loadgen
