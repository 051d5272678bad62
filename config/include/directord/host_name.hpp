#pragma once
// This machine's host name (the default cluster node, the default SMTP EHLO name).
#include <string>

namespace directord {

// Empty when the kernel will not tell.
std::string host_name();

}  // namespace directord
