// Text from outside made printable: always valid UTF-8, and valid text is left unchanged.
#include "directord/text.hpp"

#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view in(reinterpret_cast<const char*>(data), size);
    auto out = directord::text::printable(in);
    if (!directord::text::is_printable(out)) std::abort();
    if (directord::text::is_printable(in) && out != in) std::abort();
    return 0;
}
