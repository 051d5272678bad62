#pragma once
#include <stdexcept>
#include <string>

namespace directord {

// A failed system or netlink operation, with what was attempted on what.
struct IoError : std::runtime_error {
    IoError(std::string operation, std::string subject, std::string detail)
        : std::runtime_error(operation + " " + subject + ": " + detail),
          operation(std::move(operation)),
          subject(std::move(subject)) {}
    std::string operation;  // e.g. "add address"
    std::string subject;    // e.g. "10.0.0.100/24 on eth0"
};

// IoError from errno.
IoError errno_error(const std::string& operation, const std::string& subject);

}  // namespace directord
