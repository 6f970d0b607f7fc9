// Integration test of the HTML report: renders the fixture pages in headless Chromium (Debian's
// `chromium`, installed by tests/setup.d/30-chromium.sh) and checks the rendered DOM has the charts,
// that the console stayed silent (no script error, no blocked resource), and takes a screenshot
// (left in the build tree: report-screenshots/) for a human to look at. Chromium is started with
// every flag that keeps it off the network; each run is bounded by `timeout` and by wait_exit.
#include "bench/loadgen/report/html_report.hpp"
#include "tests/support/child_process.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <unistd.h>

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::string read_all(const fs::path& p)
{
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

std::size_t count(const std::string& hay, const std::string& needle)
{
    std::size_t n = 0;
    for (auto pos = hay.find(needle); pos != std::string::npos; pos = hay.find(needle, pos + needle.size()))
        ++n;
    return n;
}

std::string find_chromium()
{
    const char* path = std::getenv("PATH");
    std::istringstream dirs(path ? path : "/usr/bin:/bin");
    for (std::string dir; std::getline(dirs, dir, ':');)
        if (!dir.empty() && ::access((dir + "/chromium").c_str(), X_OK) == 0)
            return dir + "/chromium";
    FAIL("chromium not found on PATH: run tests/setup.d/30-chromium.sh (apt-get install chromium)");
    return {};
}

// A scratch directory removed at the end of the test.
struct scratch_dir
{
    fs::path path;
    scratch_dir()
    {
        std::string tmpl = (fs::temp_directory_path() / "lgb-report-XXXXXX").string();
        REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
        path = tmpl;
    }
    ~scratch_dir()
    {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

struct chromium_run
{
    int exit_code = -1;
    std::string out; // stdout: the DOM with --dump-dom
    std::string err; // stderr: chromium's log, console messages included
};

// `mode` is "--dump-dom" or "--screenshot=<png>". Output goes to files, not a pipe, so a large DOM
// cannot block chromium while we wait.
chromium_run run_chromium(const scratch_dir& dir, const fs::path& page, const std::string& mode)
{
    static int run_id = 0;
    std::string id = std::to_string(++run_id);
    fs::path out = dir.path / ("out" + id), err = dir.path / ("err" + id),
             profile = dir.path / ("profile" + id);
    std::string cmd = "exec timeout -k 3 25 '" + find_chromium() +
                      "' --headless --no-sandbox --disable-gpu --disable-quic --no-first-run"
                      " --disable-background-networking --disable-component-update --disable-sync"
                      " --disable-default-apps --disable-extensions --no-default-browser-check"
                      " --host-resolver-rules='MAP * ~NOTFOUND' --proxy-server='127.0.0.1:9'"
                      " --enable-logging=stderr --v=0 --window-size=1440,900"
                      " --user-data-dir='" +
                      profile.string() + "' " + mode + " 'file://" + page.string() + "' >'" + out.string() +
                      "' 2>'" + err.string() + "'";
    test_support::child_process proc("/bin/sh", {"-c", cmd});
    chromium_run r;
    r.exit_code = proc.wait_exit(35s);
    r.out = read_all(out);
    r.err = read_all(err);
    return r;
}

fs::path write_page(const scratch_dir& dir, const std::string& fixture)
{
    std::ifstream in(std::string(LGB_TEST_DATA_DIR) + "/" + fixture);
    REQUIRE(in.good());
    fs::path page = dir.path / (fixture + ".html");
    std::ofstream(page) << loadgen::render_html_report(nlohmann::json::parse(in));
    return page;
}

// Console lines in chromium's log: script errors, blocked or failed loads, CSP reports.
std::string console_lines(const std::string& log)
{
    std::istringstream in(log);
    std::string out;
    for (std::string line; std::getline(in, line);)
        if (line.find(":CONSOLE") != std::string::npos || line.find("net::ERR_") != std::string::npos)
            out += line + '\n';
    return out;
}

} // namespace

TEST_CASE("report render: the two-provider page shows its charts in chromium", "[integration][report]")
{
    scratch_dir dir;
    auto r = run_chromium(dir, write_page(dir, "report_two_providers.json"), "--dump-dom");
    REQUIRE(r.exit_code == 0);
    INFO(r.err.substr(0, 4000));
    CHECK(console_lines(r.err).empty());
    // The parsed DOM (not our string): 9 charts, each with drawn shapes.
    CHECK(count(r.out, "<svg") == 9);
    CHECK(count(r.out, "<path d=\"M") >= 16);      // 2 x (2 percentile + 4 latency + 3 throughput) lines
    CHECK(count(r.out, "<g class=\"bar\"") == 15); // 2 x 5 overhead bars + 5 TTFT bars
    CHECK(count(r.out, "class=\"whisker\"") == 15);
    CHECK(r.out.find("Providers compared") != std::string::npos);
    CHECK(r.out.find("+0.29 ms<span class=\"ci\">[+0.24, +0.33]</span>") != std::string::npos);
    CHECK(r.out.find("<script") == std::string::npos);
}

TEST_CASE("report render: hostile names stay text in chromium's DOM", "[integration][report]")
{
    scratch_dir dir;
    auto r = run_chromium(dir, write_page(dir, "report_hostile.json"), "--dump-dom");
    REQUIRE(r.exit_code == 0);
    CHECK(console_lines(r.err).empty());
    CHECK(r.out.find("<script") == std::string::npos);
    CHECK(r.out.find("<img") == std::string::npos);
    // Chromium serializes attributes with double quotes and text with quotes as they are: the name
    // must be an h2's text, never an attribute.
    CHECK(r.out.find("onmouseover=\"") == std::string::npos);
    CHECK(r.out.find("<h2>bad\"name' onmouseover='x</h2>") != std::string::npos);
    CHECK(r.out.find("&lt;script&gt;alert('name')&lt;/script&gt;") != std::string::npos);
}

TEST_CASE("report render: a page with nulls renders without errors", "[integration][report]")
{
    scratch_dir dir;
    auto r = run_chromium(dir, write_page(dir, "report_minimal_nulls.json"), "--dump-dom");
    REQUIRE(r.exit_code == 0);
    CHECK(console_lines(r.err).empty());
    CHECK(count(r.out, "<svg") == 3);
    CHECK(r.out.find("No overhead chart") != std::string::npos);
}

TEST_CASE("report render: screenshot of the two-provider page", "[integration][report]")
{
    scratch_dir dir;
    fs::path shots = fs::path(LGB_SCREENSHOT_DIR);
    fs::create_directories(shots);
    fs::path png = shots / "report_two_providers.png";
    fs::remove(png);
    auto r = run_chromium(dir, write_page(dir, "report_two_providers.json"),
                          "--screenshot='" + png.string() + "'");
    REQUIRE(r.exit_code == 0);
    CHECK(console_lines(r.err).empty());
    std::string bytes = read_all(png);
    REQUIRE(bytes.size() > 8);
    CHECK(bytes.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0);
    CHECK(bytes.size() > 50'000); // a blank 1440x900 page compresses to a few KB
}

TEST_CASE("report render: the console check catches a script error", "[integration][report]")
{
    // Proves the harness: the same run on a page with a failing script reports it.
    scratch_dir dir;
    fs::path page = dir.path / "broken.html";
    std::ofstream(page) << "<!DOCTYPE html><html><body><script>undefined_function();</script></body></html>";
    auto r = run_chromium(dir, page, "--dump-dom");
    REQUIRE(r.exit_code == 0);
    CHECK(console_lines(r.err).find("undefined_function") != std::string::npos);
}
