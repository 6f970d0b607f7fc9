// bench: the load generator. Parses the command line, sets up logging, runs the session (or the
// merge, report and summary subcommands), writes the HTML report when asked.
#include "bench/loadgen/config.hpp"
#include "bench/loadgen/merge.hpp"
#include "bench/loadgen/report.hpp"
#include "bench/loadgen/result_summary.hpp"
#include "bench/loadgen/result_table.hpp"
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

// A results file as the subcommands read it: a JSON object, or nullopt with `error` saying why.
std::optional<nlohmann::json> read_results(const std::string& path, std::string& error)
{
    auto text = read_file(path);
    if (!text) {
        error = "cannot read " + path;
        return std::nullopt;
    }
    auto j = nlohmann::json::parse(*text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
        error = path + " is not a results.json object";
        return std::nullopt;
    }
    return j;
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

// A flag of the subcommands, spelled as bench's other flags (split_flag). Returns false when
// args[i] is not NAME; `error` is set when NAME has no value.
bool take_flag(const std::vector<std::string>& args, std::size_t& i, const char* name, std::string& value,
               std::string& error)
{
    auto flag = loadgen::split_flag(args[i]);
    if (!flag || flag->name != name)
        return false;
    if (flag->value)
        value = *flag->value;
    else if (i + 1 < args.size())
        value = args[++i];
    else
        value.clear();
    if (value.empty())
        error = std::string("-") + name + " needs a file name";
    return true;
}

// bench merge A.json B.json... -output OUT.json [-report OUT.html]
int merge_main(const std::vector<std::string>& args)
{
    const char* usage = "usage: bench merge A.json B.json... -output OUT.json [-report OUT.html]";
    std::vector<std::string> inputs;
    std::string output, report, error;
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (take_flag(args, i, "output", output, error) || take_flag(args, i, "report", report, error)) {
            if (!error.empty())
                return fail("merge: " + error);
        } else if (args[i].starts_with("-")) {
            return fail("merge: unknown flag '" + args[i] + "' (" + usage + ")");
        } else {
            inputs.push_back(args[i]);
        }
    }
    if (inputs.size() < 2 || output.empty())
        return fail(std::string("merge: ") + usage);
    std::vector<nlohmann::json> files;
    for (const auto& path : inputs) {
        auto j = read_results(path, error);
        if (!j)
            return fail("merge: " + error);
        files.push_back(std::move(*j));
    }
    auto merged = loadgen::merge_results(files, error);
    if (!merged)
        return fail("merge: " + error);
    std::ofstream out(output, std::ios::trunc);
    out << merged->dump(2) << '\n';
    if (!out)
        return fail("merge: cannot write " + output, 1);
    return report.empty() ? 0 : write_report(report, *merged);
}

// bench report results.json [-report OUT.html]: each entry's table, as a run prints it, with the
// notes of this bench (a file from an older one gets the newer notes), and the HTML page of the
// whole file: one page for providers run one at a time into the same file, or for a merge.
int report_main(const std::vector<std::string>& args)
{
    const char* usage = "usage: bench report results.json [-report OUT.html]";
    std::string input, report, error;
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (take_flag(args, i, "report", report, error)) {
            if (!error.empty())
                return fail("report: " + error);
        } else if (args[i].starts_with("-") || !input.empty()) {
            return fail("report: unexpected '" + args[i] + "' (" + usage + ")");
        } else {
            input = args[i];
        }
    }
    if (input.empty())
        return fail(std::string("report: ") + usage);
    auto file = read_results(input, error);
    if (!file)
        return fail("report: " + error);
    const auto& all = *file;
    if (all.empty())
        return fail("report: " + input + " has no entries");
    for (const auto& [key, entry] : all.items()) {
        if (entry.is_object())
            std::fputs(loadgen::format_table(key, entry).c_str(), stdout);
        else
            std::printf("%s: not a results entry (%s)\n", common::printable_line(key).c_str(),
                        entry.type_name());
    }
    return report.empty() ? 0 : write_report(report, all);
}

// bench summary results.json: one row per entry, direct against the candidate and the overhead
// with its interval, then the notes (what run-servers.sh prints after a run).
int summary_main(const std::vector<std::string>& args)
{
    const char* usage = "usage: bench summary results.json";
    if (args.size() != 1 || args[0].starts_with("-"))
        return fail(std::string("summary: ") + usage);
    std::string error;
    auto file = read_results(args[0], error);
    if (!file)
        return fail("summary: " + error);
    if (file->empty())
        return fail("summary: " + args[0] + " has no entries");
    std::fputs(loadgen::format_summary(*file).c_str(), stdout);
    return 0;
}

} // namespace

int main(int argc, char** argv)
{
    std::vector<std::string> args(argv + 1, argv + argc);
    if (!args.empty() && args[0] == "merge")
        return merge_main({args.begin() + 1, args.end()});
    if (!args.empty() && args[0] == "report")
        return report_main({args.begin() + 1, args.end()});
    if (!args.empty() && args[0] == "summary")
        return summary_main({args.begin() + 1, args.end()});

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
