#include "directord/vrrp/netif.hpp"

#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "directord/io_error.hpp"

namespace directord::vrrp {

InterfaceInfo read_interface(const std::string& name) {
    InterfaceInfo info;
    info.index = static_cast<int>(if_nametoindex(name.c_str()));
    if (info.index == 0) return info;

    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd >= 0) {
        ifreq req{};
        std::strncpy(req.ifr_name, name.c_str(), IFNAMSIZ - 1);
        if (ioctl(fd, SIOCGIFHWADDR, &req) == 0)
            std::copy_n(reinterpret_cast<const std::uint8_t*>(req.ifr_hwaddr.sa_data), 6,
                        info.mac.begin());
        if (ioctl(fd, SIOCGIFFLAGS, &req) == 0)
            info.running = (req.ifr_flags & IFF_UP) && (req.ifr_flags & IFF_RUNNING);
        close(fd);
    }
    ifaddrs* list = nullptr;
    if (getifaddrs(&list) != 0) return info;
    for (ifaddrs* a = list; a; a = a->ifa_next) {
        if (!a->ifa_addr || name != a->ifa_name) continue;
        if (a->ifa_addr->sa_family == AF_INET) {
            auto* sin = reinterpret_cast<const sockaddr_in*>(a->ifa_addr);
            info.addresses.emplace_back(boost::asio::ip::address_v4(ntohl(sin->sin_addr.s_addr)));
        } else if (a->ifa_addr->sa_family == AF_INET6) {
            auto* sin6 = reinterpret_cast<const sockaddr_in6*>(a->ifa_addr);
            boost::asio::ip::address_v6::bytes_type bytes;
            std::copy_n(sin6->sin6_addr.s6_addr, 16, bytes.begin());
            info.addresses.emplace_back(
                boost::asio::ip::address_v6(bytes));  // no scope: per interface
        }
    }
    freeifaddrs(list);
    return info;
}

}  // namespace directord::vrrp
