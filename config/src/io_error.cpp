#include "directord/io_error.hpp"

#include <cerrno>
#include <cstring>

namespace directord {

IoError errno_error(const std::string& operation, const std::string& subject) {
    return IoError(operation, subject, std::strerror(errno));
}

}  // namespace directord
