// .env parsing and environment lookup.
#include "common/dotenv.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace common {
namespace {

std::string_view trim(std::string_view s)
{
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
        s.remove_suffix(1);
    return s;
}

bool valid_key(std::string_view key)
{
    if (key.empty() || (key[0] >= '0' && key[0] <= '9'))
        return false;
    for (char c : key) {
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
                  c == '.';
        if (!ok)
            return false;
    }
    return true;
}

// Parses the value part; returns an error message or empty on success.
std::string parse_value(std::string_view raw, std::string& out)
{
    raw = trim(raw);
    if (raw.empty())
        return {};
    const char quote = raw.front();
    if (quote == '\'' || quote == '"') {
        std::size_t i = 1;
        for (; i < raw.size(); ++i) {
            char c = raw[i];
            if (c == quote)
                break;
            if (quote == '"' && c == '\\' && i + 1 < raw.size()) {
                char n = raw[++i];
                out += n == 'n' ? '\n' : n == 't' ? '\t' : n == 'r' ? '\r' : n;
                continue;
            }
            out += c;
        }
        if (i >= raw.size())
            return "unterminated quote";
        auto rest = trim(raw.substr(i + 1));
        if (!rest.empty() && rest.front() != '#')
            return "unexpected text after closing quote";
        return {};
    }
    // Unquoted: an inline comment starts at " #".
    auto hash = raw.find(" #");
    if (hash == std::string_view::npos)
        hash = raw.find("\t#");
    out = std::string(trim(raw.substr(0, hash)));
    return {};
}

} // namespace

dotenv_parse_result parse_dotenv(std::string_view text)
{
    dotenv_parse_result result;
    int line_no = 0;
    while (!text.empty()) {
        ++line_no;
        auto nl = text.find('\n');
        auto line = trim(text.substr(0, nl));
        text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
        if (line.empty() || line.front() == '#')
            continue;
        if (line.substr(0, 7) == "export " || line.substr(0, 7) == "export\t")
            line = trim(line.substr(7));
        auto eq = line.find('=');
        if (eq == std::string_view::npos) {
            result.errors.push_back({line_no, "expected KEY=VALUE"});
            continue;
        }
        auto key = trim(line.substr(0, eq));
        if (!valid_key(key)) {
            result.errors.push_back({line_no, "invalid variable name '" + std::string(key) + "'"});
            continue;
        }
        std::string value;
        if (auto err = parse_value(line.substr(eq + 1), value); !err.empty()) {
            result.errors.push_back({line_no, err});
            continue;
        }
        result.values[std::string(key)] = std::move(value);
    }
    return result;
}

env_lookup env_lookup::from_file(const std::string& path, std::string& error)
{
    error.clear();
    std::error_code fs_ec;
    if (!std::filesystem::exists(path, fs_ec))
        return env_lookup{}; // no .env is normal: the defaults apply
    std::ifstream in(path, std::ios::binary);
    if (!in || !std::filesystem::is_regular_file(path, fs_ec)) {
        error = path + ": cannot read";
        return env_lookup{};
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    auto parsed = parse_dotenv(ss.str());
    for (const auto& e : parsed.errors) {
        if (!error.empty())
            error += "; ";
        error += path + ":" + std::to_string(e.line) + ": " + e.message;
    }
    return env_lookup{std::move(parsed.values)};
}

std::optional<std::string> env_lookup::get(std::string_view name) const
{
    if (auto it = overrides_.find(name); it != overrides_.end())
        return it->second.empty() ? std::nullopt : std::optional<std::string>(it->second);
    std::string key(name);
    if (const char* v = std::getenv(key.c_str()); v != nullptr)
        return *v == '\0' ? std::nullopt : std::optional<std::string>(v);
    if (auto it = file_.find(key); it != file_.end() && !it->second.empty())
        return it->second;
    return std::nullopt;
}

std::string env_lookup::get_or(std::string_view name, std::string_view fallback) const
{
    auto v = get(name);
    return v ? *v : std::string(fallback);
}

} // namespace common
