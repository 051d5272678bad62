#include "directord/vrrp/addresses.hpp"

#include <fmt/format.h>
#include <linux/rtnetlink.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>

#include <memory>

#include "directord/vrrp/io_error.hpp"

namespace directord::vrrp {
namespace {

struct AddrDeleter {
    void operator()(rtnl_addr* a) const { rtnl_addr_put(a); }
};
struct NlAddrDeleter {
    void operator()(nl_addr* a) const { nl_addr_put(a); }
};

int scope_value(config::AddressScope scope) {
    switch (scope) {
        case config::AddressScope::global:
            return RT_SCOPE_UNIVERSE;
        case config::AddressScope::site:
            return RT_SCOPE_SITE;
        case config::AddressScope::link:
            return RT_SCOPE_LINK;
        case config::AddressScope::host:
            return RT_SCOPE_HOST;
    }
    return RT_SCOPE_UNIVERSE;
}

std::unique_ptr<rtnl_addr, AddrDeleter> make_addr(int ifindex, const std::string& interface,
                                                  const config::Vip& vip) {
    std::unique_ptr<rtnl_addr, AddrDeleter> addr(rtnl_addr_alloc());
    nl_addr* raw = nullptr;
    int family = vip.address.is_v4() ? AF_INET : AF_INET6;
    if (int err = nl_addr_parse(vip.address.to_string().c_str(), family, &raw); err < 0)
        throw IoError("parse address", describe(vip), nl_geterror(err));
    std::unique_ptr<nl_addr, NlAddrDeleter> local(raw);
    nl_addr_set_prefixlen(local.get(), vip.prefix_length);
    rtnl_addr_set_ifindex(addr.get(), ifindex);
    rtnl_addr_set_family(addr.get(), family);
    if (int err = rtnl_addr_set_local(addr.get(), local.get()); err < 0)
        throw IoError("set address", describe(vip) + " on " + interface, nl_geterror(err));
    rtnl_addr_set_prefixlen(addr.get(), vip.prefix_length);
    rtnl_addr_set_scope(addr.get(), scope_value(vip.scope));
    if (!vip.label.empty()) rtnl_addr_set_label(addr.get(), vip.label.c_str());
    return addr;
}

}  // namespace

std::string describe(const config::Vip& vip) {
    auto text = fmt::format("{}/{}", vip.address.to_string(), vip.prefix_length);
    if (!vip.label.empty()) text += fmt::format(" label {}", vip.label);
    return text;
}

AddressManager::AddressManager() {
    socket_ = nl_socket_alloc();
    if (!socket_) throw IoError("allocate", "rtnetlink socket", "out of memory");
    if (int err = nl_connect(socket_, NETLINK_ROUTE); err < 0) {
        nl_socket_free(socket_);
        throw IoError("connect", "rtnetlink socket", nl_geterror(err));
    }
}

AddressManager::~AddressManager() { nl_socket_free(socket_); }

void AddressManager::add(int ifindex, const std::string& interface, const config::Vip& vip) {
    auto addr = make_addr(ifindex, interface, vip);
    int err = rtnl_addr_add(socket_, addr.get(), 0);
    if (err < 0 && err != -NLE_EXIST)
        throw IoError("add address", describe(vip) + " on " + interface, nl_geterror(err));
}

void AddressManager::remove(int ifindex, const std::string& interface, const config::Vip& vip) {
    auto addr = make_addr(ifindex, interface, vip);
    int err = rtnl_addr_delete(socket_, addr.get(), 0);
    if (err < 0 && err != -NLE_NOADDR && err != -NLE_OBJ_NOTFOUND && err != -NLE_NODEV)
        throw IoError("remove address", describe(vip) + " from " + interface, nl_geterror(err));
}

}  // namespace directord::vrrp
