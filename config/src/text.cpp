#include "directord/text.hpp"

#include <cstdint>

namespace directord::text {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// Length of the valid, printable UTF-8 sequence at the start of `in`; 0 if there is none.
// Overlong forms, surrogates and code points past U+10FFFF are invalid (RFC 3629).
std::size_t printable_length(std::string_view in) {
    auto byte = [&](std::size_t i) { return static_cast<std::uint8_t>(in[i]); };
    std::uint8_t lead = byte(0);
    if (lead < 0x80) return (lead >= 0x20 && lead != 0x7F) || lead == '\t' || lead == '\n';
    std::size_t length;
    std::uint32_t code;
    if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2;
        code = lead & 0x1F;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3;
        code = lead & 0x0F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4;
        code = lead & 0x07;
    } else {
        return 0;
    }
    if (in.size() < length) return 0;
    for (std::size_t i = 1; i < length; ++i) {
        if ((byte(i) & 0xC0) != 0x80) return 0;
        code = (code << 6) | (byte(i) & 0x3F);
    }
    bool overlong = (length == 3 && code < 0x800) || (length == 4 && code < 0x10000);
    bool surrogate = code >= 0xD800 && code <= 0xDFFF;
    bool c1_control = code >= 0x80 && code <= 0x9F;
    if (overlong || surrogate || code > 0x10FFFF || c1_control) return 0;
    return length;
}

}  // namespace

bool is_printable(std::string_view in) {
    for (std::size_t i = 0; i < in.size();) {
        std::size_t n = printable_length(in.substr(i));
        if (n == 0) return false;
        i += n;
    }
    return true;
}

std::string printable(std::string_view in) {
    std::string out;
    out.reserve(in.size());
    for (std::size_t i = 0; i < in.size();) {
        std::size_t n = printable_length(in.substr(i));
        if (n == 0) {
            out += kReplacement;
            ++i;
        } else {
            out.append(in.substr(i, n));
            i += n;
        }
    }
    return out;
}

}  // namespace directord::text
