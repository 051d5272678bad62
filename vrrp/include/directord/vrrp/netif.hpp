#pragma once
// Facts about a network interface, read from the kernel.
#include <string>

#include "directord/vrrp/host_view.hpp"

namespace directord::vrrp {

// What the kernel says now; index 0 when the interface does not exist.
InterfaceInfo read_interface(const std::string& name);

}  // namespace directord::vrrp
