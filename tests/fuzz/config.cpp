// The YAML loader: any text is a configuration or a list of errors, never a crash or a hang.
#include <cstdint>
#include <string>

#include "directord/config/loader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    directord::config::load_text(std::string(reinterpret_cast<const char*>(data), size), "fuzz");
    return 0;
}
