// `.env` loading: KEY=VALUE lines, `#` comments, single/double quotes, an optional `export`
// prefix. The process environment always wins over the file, so `FOO=1 ./run` overrides `.env`.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace common {

struct dotenv_error
{
    int line;            // 1-based line number in the file
    std::string message; // what is wrong with it
};

struct dotenv_parse_result
{
    std::map<std::string, std::string> values; // later lines win over earlier ones
    std::vector<dotenv_error> errors;          // bad lines are reported, good ones still kept
};

// Pure parser of a file's text.
dotenv_parse_result parse_dotenv(std::string_view text);

// Looks names up in the process environment first, then in the loaded file.
class env_lookup
{
public:
    env_lookup() = default;
    explicit env_lookup(std::map<std::string, std::string> file_values) : file_(std::move(file_values)) {}

    // Loads `path`. A missing file is not an error (the suite runs without one); an unreadable
    // file or bad lines are, and are described in `error`.
    static env_lookup from_file(const std::string& path, std::string& error);

    // Empty values count as unset: `OPENROUTER_API_KEY=` in .env means "no key".
    std::optional<std::string> get(std::string_view name) const;
    std::string get_or(std::string_view name, std::string_view fallback) const;

    // For tests: values that take the place of the process environment.
    void set_override(std::string name, std::string value) { overrides_[std::move(name)] = std::move(value); }

private:
    std::map<std::string, std::string, std::less<>> overrides_;
    std::map<std::string, std::string> file_;
};

} // namespace common
