#pragma once
// Text that comes from outside (program output, servers' messages, control requests) goes
// into logs, JSON and the metrics exposition, which all need valid UTF-8: nlohmann::json
// throws on anything else, and a metrics scrape becomes unparseable.
#include <string>
#include <string_view>

namespace directord::text {

// True when `in` is valid UTF-8 with no control characters other than tab and newline.
bool is_printable(std::string_view in);

// `in` with every invalid UTF-8 sequence and every control character other than tab and
// newline replaced by U+FFFD; valid text is returned unchanged.
std::string printable(std::string_view in);

}  // namespace directord::text
