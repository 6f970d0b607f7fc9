// bench: the load generator. Parses the command line, sets up logging, runs the session (or the
// merge subcommand), writes the HTML report when asked.
#include "bench/loadgen/config.hpp"
#include "bench/loadgen/merge.hpp"
#include "bench/loadgen/report.hpp"
#include "bench/loadgen/runner.hpp"
#include "common/dotenv.hpp"
#include "common/logging.hpp"

#ifdef LGB_HAVE_HTML_REPORT
#include "bench/loadgen/report/html_report.hpp"
#endif

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace {

int fail(const std::string& message, int code = 2)
{
    std::fprintf(stderr, "bench: %s\n", common::printable_line(message).c_str());
    return code;
}

std::optional<std::string> read_file(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return std::nullopt;
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// bench merge A.json B.json... -output OUT.json
int merge_main(const std::vector<std::string>& args)
{
    std::vector<std::string> inputs;
    std::string output;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const auto& a = args[i];
        if (a == "-output" || a == "--output") {
            if (i + 1 >= args.size())
                return fail("merge: -output needs a file name");
            output = args[++i];
        } else if (a.starts_with("-output=") || a.starts_with("--output=")) {
            output = a.substr(a.find('=') + 1);
        } else if (a.starts_with("-")) {
            return fail("merge: unknown flag '" + a +
                        "' (usage: bench merge A.json B.json -output OUT.json)");
        } else {
            inputs.push_back(a);
        }
    }
    if (inputs.size() < 2 || output.empty())
        return fail("merge: usage: bench merge A.json B.json... -output OUT.json");
    std::vector<nlohmann::json> files;
    for (const auto& path : inputs) {
        auto text = read_file(path);
        if (!text)
            return fail("merge: cannot read " + path);
        auto j = nlohmann::json::parse(*text, nullptr, false);
        if (j.is_discarded() || !j.is_object())
            return fail("merge: " + path + " is not a results.json object");
        files.push_back(std::move(j));
    }
    std::string error;
    auto merged = loadgen::merge_results(files, error);
    if (!merged)
        return fail("merge: " + error);
    std::ofstream out(output, std::ios::trunc);
    out << merged->dump(2) << '\n';
    if (!out)
        return fail("merge: cannot write " + output, 1);
    return 0;
}

int write_report(const std::string& path, const nlohmann::json& entries)
{
#ifdef LGB_HAVE_HTML_REPORT
    std::ofstream out(path, std::ios::trunc);
    out << loadgen::render_html_report(entries);
    if (!out)
        return fail("cannot write " + path, 1);
    return 0;
#else
    (void)entries;
    return fail(
        "-report " + path + ": this build has no HTML report library (bench/loadgen/report is missing)", 1);
#endif
}

} // namespace

int main(int argc, char** argv)
{
    std::vector<std::string> args(argv + 1, argv + argc);
    if (!args.empty() && args[0] == "merge")
        return merge_main({args.begin() + 1, args.end()});

    auto parsed = loadgen::parse_args(args);
    if (auto* e = std::get_if<std::string>(&parsed)) {
        if (*e == "help") {
            std::fputs(loadgen::usage().c_str(), stdout);
            return 0;
        }
        return fail(*e);
    }
    auto& cfg = std::get<loadgen::config>(parsed);
#ifndef LGB_HAVE_HTML_REPORT
    if (!cfg.report.empty())
        return fail("-report: this build has no HTML report library (bench/loadgen/report is missing)");
#endif
    common::setup_logging("bench", cfg.log_level);

    std::string env_error;
    auto env = common::env_lookup::from_file(cfg.env_file, env_error);
    if (!env_error.empty())
        return fail(env_error);
    std::string prompt = loadgen::default_prompt(cfg.big_payload);
    if (!cfg.prompt_file.empty()) {
        auto text = read_file(cfg.prompt_file);
        if (!text)
            return fail("-prompt-file: cannot read " + cfg.prompt_file);
        prompt = *text;
    }
    if (!cfg.ca_file.empty() && !std::ifstream(cfg.ca_file).good())
        return fail("-ca-file: cannot read " + cfg.ca_file);
    bool report_created = false;
    if (!cfg.report.empty()) { // fail before the run, not after it
        report_created = !std::ifstream(cfg.report).good();
        std::ofstream probe(cfg.report, std::ios::app);
        if (!probe)
            return fail("-report: cannot write " + cfg.report);
    }

    auto result = loadgen::run_session(cfg, env, prompt);
    if (cfg.json) {
        auto summary = result.entries;
        for (auto& [k, e] : summary.items()) { // the histograms are for the file and for merge
            for (auto h : {"histogram", "direct_histogram", "histograms", "windows"})
                e.erase(h);
            if (e.contains("direct") && e["direct"].is_object())
                e["direct"].erase("histograms");
        }
        std::fputs((summary.dump(2) + "\n").c_str(), stdout);
    }
    if (!cfg.report.empty() && !result.entries.empty()) {
        if (int rc = write_report(cfg.report, result.entries); rc != 0)
            return rc;
    } else if (report_created) {
        std::remove(cfg.report.c_str()); // nothing measured: leave no empty page behind
    }
    return result.exit_code;
}
