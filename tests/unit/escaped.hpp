// Bytes as a test message shows them: CR, LF, control bytes and non-ASCII escaped, so that a
// failing generated case can be read and pasted back into a test.
#pragma once

#include <string>
#include <string_view>

namespace test_support {

inline std::string escaped(std::string_view s)
{
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    for (unsigned char c : s) {
        if (c == '\r')
            out += "\\r";
        else if (c == '\n')
            out += "\\n";
        else if (c < 0x20 || c >= 0x7f) {
            out += "\\x";
            out += hex[c >> 4];
            out += hex[c & 15];
        } else
            out += static_cast<char>(c);
    }
    return out;
}

} // namespace test_support
