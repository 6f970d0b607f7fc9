// `bench merge` on two results files: the first two bytes of the input give the length of the
// first file's text, the rest is the second's. Files users pass to `bench merge` may be
// hand-edited, truncated or written by another tool.
//
// Properties:
//  - merge_results never throws; a refusal has a one-line, non-empty error;
//  - a merged file holds exactly the keys of its inputs: an entry found in one input only is kept
//    as it is, and an entry found in both counts both (merged_from adds up, requests add up);
//  - an entry merged from both inputs merges again with itself (it is a valid results entry);
//  - bench's table (`bench report`) prints every input entry and every merged one without
//    throwing, whatever its fields hold.
#include "bench/loadgen/merge.hpp"
#include "bench/loadgen/result_table.hpp"
#include "tests/fuzz/fuzz_support.hpp"

#include <exception>
#include <nlohmann/json.hpp>

namespace {

using nlohmann::json;

// A count as merge reads it: absent or null is `fallback`; anything else that is not a
// non-negative integer makes the merge refuse, so a merged file only holds such counts.
std::uint64_t count_of(const json& entry, const char* k, std::uint64_t fallback)
{
    auto it = entry.find(k);
    if (it == entry.end() || it->is_null())
        return fallback;
    return it->get<std::uint64_t>();
}

std::optional<json> merged(const std::vector<json>& files, std::string& error)
{
    try {
        auto m = loadgen::merge_results(files, error);
        fuzz::require(m || (!error.empty() && error.find('\n') == std::string::npos),
                      "a refused merge says why, on one line");
        return m;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s\n", e.what());
        fuzz::require(false, "merge_results never throws");
    }
    return std::nullopt;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    fuzz::input in(data, size);
    std::size_t first = in.byte();
    first |= std::size_t{in.byte()} << 8;
    auto rest = in.rest();
    first = std::min(first, rest.size());
    auto a = json::parse(rest.substr(0, first), nullptr, false);
    auto b = json::parse(rest.substr(first), nullptr, false);
    if (a.is_discarded() || b.is_discarded())
        return 0;

    auto table = [](const json& file) {
        if (!file.is_object())
            return;
        for (const auto& [key, entry] : file.items()) {
            try {
                fuzz::require(loadgen::format_table(key, entry).starts_with("target "),
                              "a table has its head");
            } catch (const std::exception& e) {
                std::fprintf(stderr, "%s\n", e.what());
                fuzz::require(false, "the table of any entry never throws");
            }
        }
    };
    table(a);
    table(b);
    std::string error;
    auto m = merged({a, b}, error);
    if (!m)
        return 0;
    fuzz::require(m->is_object() && a.is_object() && b.is_object(), "a merge of objects is an object");
    table(*m);
    for (const auto& [key, entry] : m->items()) {
        const bool in_a = a.contains(key), in_b = b.contains(key);
        fuzz::require(in_a || in_b, "every merged key comes from an input");
        if (in_a != in_b) {
            fuzz::require(entry == (in_a ? a[key] : b[key]),
                          "an entry found in one input only is kept as it is");
            continue;
        }
        fuzz::require(count_of(entry, "merged_from", 1) ==
                          count_of(a[key], "merged_from", 1) + count_of(b[key], "merged_from", 1),
                      "merged_from adds up");
        fuzz::require(count_of(entry, "requests", 0) ==
                          count_of(a[key], "requests", 0) + count_of(b[key], "requests", 0),
                      "requests add up");
    }
    for (const auto& [key, entry] : a.items())
        fuzz::require(m->contains(key), "no input key is lost");
    for (const auto& [key, entry] : b.items())
        fuzz::require(m->contains(key), "no input key is lost");

    // What bench merge computed is a results file bench merge reads. (Entries found in one input
    // only are copied unread: they may be anything.)
    json computed = json::object();
    for (const auto& [key, entry] : m->items())
        if (a.contains(key) && b.contains(key))
            computed[key] = entry;
    if (computed.empty())
        return 0;
    std::string again_error;
    auto again = merged({computed, computed}, again_error);
    if (!again)
        std::fprintf(stderr, "%s\n", again_error.c_str());
    fuzz::require(again.has_value(), "a merged entry merges again");
    return 0;
}
