// The keepalived.conf importer (it reads files: the input is written to one, includes and
// all). Any text converts with notes, in bounded time and memory.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>

#include "directord/config/keepalived_import.hpp"

namespace {
// The file the input is written to, removed when the fuzzer exits (its time is up).
struct InputFile {
    std::string path = "/tmp/directord-fuzz-keepalived-" + std::to_string(getpid());
    ~InputFile() { std::remove(path.c_str()); }
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const InputFile input;
    std::ofstream(input.path, std::ios::binary)
        .write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    directord::config::import_keepalived(input.path);
    return 0;
}
