// A strict, allocation-free JSON scanner (RFC 8259, UTF-8 checked) that reports values to a
// handler as it validates them. mock-llm reads a few fields of every model request with it:
// nlohmann's SAX parser cost ~10k instructions per small request (callgrind), this ~1k.
//
// Handler interface (all return void; strings are raw: still JSON-escaped, without quotes):
//   begin_object(), end_object(), begin_array(), end_array(), key(std::string_view raw),
//   string(std::string_view raw), number(std::string_view text, bool integer), literal(char c)
//   ('t', 'f' or 'n').
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace mock {

inline constexpr int json_max_depth = 256;

template <typename Handler>
class json_scanner
{
public:
    json_scanner(std::string_view text, Handler& h) : p_(text.data()), end_(text.data() + text.size()), h_(h)
    {}

    // True when the whole text is exactly one valid JSON value (surrounded by whitespace).
    bool scan()
    {
        skip_ws();
        if (!value(0))
            return false;
        skip_ws();
        return p_ == end_;
    }

private:
    void skip_ws()
    {
        while (p_ != end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t'))
            ++p_;
    }

    bool value(int depth)
    {
        if (p_ == end_)
            return false;
        switch (*p_) {
        case '{':
            return object(depth + 1);
        case '[':
            return array(depth + 1);
        case '"': {
            std::string_view s;
            if (!string(s))
                return false;
            h_.string(s);
            return true;
        }
        case 't':
            return literal("true");
        case 'f':
            return literal("false");
        case 'n':
            return literal("null");
        default:
            return number();
        }
    }

    bool object(int depth)
    {
        if (depth > json_max_depth)
            return false;
        ++p_;
        h_.begin_object();
        skip_ws();
        if (p_ != end_ && *p_ == '}') {
            ++p_;
            h_.end_object();
            return true;
        }
        for (;;) {
            skip_ws();
            std::string_view k;
            if (p_ == end_ || *p_ != '"' || !string(k))
                return false;
            h_.key(k);
            skip_ws();
            if (p_ == end_ || *p_ != ':')
                return false;
            ++p_;
            skip_ws();
            if (!value(depth))
                return false;
            skip_ws();
            if (p_ == end_)
                return false;
            if (*p_ == ',') {
                ++p_;
                continue;
            }
            if (*p_ != '}')
                return false;
            ++p_;
            h_.end_object();
            return true;
        }
    }

    bool array(int depth)
    {
        if (depth > json_max_depth)
            return false;
        ++p_;
        h_.begin_array();
        skip_ws();
        if (p_ != end_ && *p_ == ']') {
            ++p_;
            h_.end_array();
            return true;
        }
        for (;;) {
            skip_ws();
            if (!value(depth))
                return false;
            skip_ws();
            if (p_ == end_)
                return false;
            if (*p_ == ',') {
                ++p_;
                continue;
            }
            if (*p_ != ']')
                return false;
            ++p_;
            h_.end_array();
            return true;
        }
    }

    bool literal(std::string_view word)
    {
        if (static_cast<std::size_t>(end_ - p_) < word.size() || std::string_view(p_, word.size()) != word)
            return false;
        p_ += word.size();
        h_.literal(word[0]);
        return true;
    }

    static bool digit(char c) { return c >= '0' && c <= '9'; }
    static bool hex(char c) { return digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
    static int hex_value(char c) { return digit(c) ? c - '0' : (c | 0x20) - 'a' + 10; }

    // The UTF-16 unit of the four hex digits at p (after "\\u"), or -1 when they are not four
    // hex digits before the end.
    int escape_unit(const char* p) const
    {
        if (end_ - p < 4 || !hex(p[0]) || !hex(p[1]) || !hex(p[2]) || !hex(p[3]))
            return -1;
        return hex_value(p[0]) << 12 | hex_value(p[1]) << 8 | hex_value(p[2]) << 4 | hex_value(p[3]);
    }

    bool number()
    {
        const char* start = p_;
        bool integer = true;
        if (p_ != end_ && *p_ == '-')
            ++p_;
        if (p_ == end_ || !digit(*p_))
            return false;
        if (*p_ == '0')
            ++p_;
        else
            while (p_ != end_ && digit(*p_))
                ++p_;
        if (p_ != end_ && *p_ == '.') {
            integer = false;
            ++p_;
            if (p_ == end_ || !digit(*p_))
                return false;
            while (p_ != end_ && digit(*p_))
                ++p_;
        }
        if (p_ != end_ && (*p_ == 'e' || *p_ == 'E')) {
            integer = false;
            ++p_;
            if (p_ != end_ && (*p_ == '+' || *p_ == '-'))
                ++p_;
            if (p_ == end_ || !digit(*p_))
                return false;
            while (p_ != end_ && digit(*p_))
                ++p_;
        }
        h_.number(std::string_view(start, static_cast<std::size_t>(p_ - start)), integer);
        return true;
    }

    // At the opening quote; on success `out` is the raw content and p_ is past the closing quote.
    bool string(std::string_view& out)
    {
        const char* start = ++p_;
        while (p_ != end_) {
            // Fast path: printable ASCII other than '"' and '\\'.
            while (p_ != end_ && plain_[static_cast<unsigned char>(*p_)])
                ++p_;
            if (p_ == end_)
                break;
            auto c = static_cast<unsigned char>(*p_);
            if (c == '"') {
                out = std::string_view(start, static_cast<std::size_t>(p_ - start));
                ++p_;
                return true;
            }
            if (c < 0x20)
                return false;
            if (c == '\\') {
                if (++p_ == end_)
                    return false;
                switch (*p_) {
                case '"':
                case '\\':
                case '/':
                case 'b':
                case 'f':
                case 'n':
                case 'r':
                case 't':
                    ++p_;
                    break;
                case 'u': {
                    // A surrogate escape must come as a high one followed by a low one: a lone
                    // one is no character, and nlohmann/json (as most decoders) refuses it.
                    int unit = escape_unit(p_ + 1);
                    if (unit < 0)
                        return false;
                    p_ += 5;
                    if (unit >= 0xDC00 && unit <= 0xDFFF)
                        return false;
                    if (unit >= 0xD800 && unit <= 0xDBFF) {
                        if (end_ - p_ < 6 || p_[0] != '\\' || p_[1] != 'u')
                            return false;
                        int low = escape_unit(p_ + 2);
                        if (low < 0xDC00 || low > 0xDFFF)
                            return false;
                        p_ += 6;
                    }
                    break;
                }
                default:
                    return false;
                }
                continue;
            }
            if (c < 0x80) {
                ++p_;
                continue;
            }
            if (!utf8())
                return false;
        }
        return false;
    }

    // One multi-byte UTF-8 sequence (RFC 3629: no overlongs, no surrogates, <= U+10FFFF).
    bool utf8()
    {
        auto b = [this](std::ptrdiff_t i) { return static_cast<unsigned char>(p_[i]); };
        auto cont = [&](std::ptrdiff_t i) { return (b(i) & 0xC0) == 0x80; };
        const auto left = end_ - p_;
        const unsigned char c = b(0);
        if (c >= 0xC2 && c <= 0xDF && left >= 2 && cont(1)) {
            p_ += 2;
            return true;
        }
        if (c >= 0xE0 && c <= 0xEF && left >= 3 && cont(1) && cont(2)) {
            if ((c == 0xE0 && b(1) < 0xA0) || (c == 0xED && b(1) >= 0xA0))
                return false;
            p_ += 3;
            return true;
        }
        if (c >= 0xF0 && c <= 0xF4 && left >= 4 && cont(1) && cont(2) && cont(3)) {
            if ((c == 0xF0 && b(1) < 0x90) || (c == 0xF4 && b(1) >= 0x90))
                return false;
            p_ += 4;
            return true;
        }
        return false;
    }

    static constexpr auto plain_ = [] {
        struct table
        {
            bool v[256]{};
            constexpr bool operator[](unsigned char c) const { return v[c]; }
        } t;
        for (int c = 0x20; c < 0x80; ++c)
            t.v[c] = c != '"' && c != '\\';
        return t;
    }();

    const char* p_;
    const char* end_;
    Handler& h_;
};

} // namespace mock
