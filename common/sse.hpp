// Server-sent events: framing for writers (mock-llm) and an incremental parser for readers
// (bench's stream metrics, tests). The parser is sans-I/O: feed it bytes as they arrive.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace common {

// "data: <payload>\n\n". `payload` must not contain a newline (JSON from dump() never does).
std::string sse_data(std::string_view payload);
inline constexpr std::string_view sse_done = "data: [DONE]\n\n";

struct sse_event
{
    std::string event; // the "event:" field, empty for the default "message"
    std::string data;  // "data:" lines joined with '\n'
    std::string id;
};

// Incremental parser following the WHATWG event-stream rules: lines end in CRLF, LF or CR;
// lines starting with ':' are comments; an empty line dispatches the event.
class sse_parser
{
public:
    // Calls `on_event(const sse_event&)` for each complete event in `bytes`. Returns the
    // number of events dispatched.
    template <typename Handler>
    std::size_t feed(std::string_view bytes, Handler&& on_event)
    {
        std::size_t dispatched = 0;
        for (char c : bytes) {
            if (c == '\n' && last_was_cr_) {
                last_was_cr_ = false;
                continue;
            }
            last_was_cr_ = c == '\r';
            if (c == '\r' || c == '\n') {
                if (end_line()) {
                    on_event(static_cast<const sse_event&>(current_));
                    ++dispatched;
                    current_ = {};
                    has_data_ = false;
                }
                continue;
            }
            if (line_.size() >= max_line_bytes)
                overflowed_ = true;
            else
                line_ += c;
        }
        return dispatched;
    }

    // True when a line was longer than the limit (its tail was dropped).
    bool overflowed() const { return overflowed_; }

    static constexpr std::size_t max_line_bytes = 16 * 1024 * 1024;

private:
    // Processes the finished line; true when it was the empty line ending an event with data.
    bool end_line();

    std::string line_;
    sse_event current_;
    bool has_data_ = false;
    bool last_was_cr_ = false;
    bool overflowed_ = false;
};

} // namespace common
