#include "directord/vrrp/interface_watch.hpp"

#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <netlink/errno.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include <set>
#include <vector>

#include "directord/log.hpp"
#include "directord/vrrp/netif.hpp"

namespace directord::vrrp {

InterfaceWatch::InterfaceWatch(boost::asio::io_context& io)
    : netlink_(io, "rtnetlink interface notifications", [this](nl_sock* sock) {
          nl_socket_modify_cb(sock, NL_CB_VALID, NL_CB_CUSTOM, &InterfaceWatch::on_message, this);
          return nl_socket_add_memberships(sock, RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR,
                                           RTNLGRP_IPV6_IFADDR, 0);
      }) {
    netlink_.receive([this](int result) {
        // A lost notification (receive buffer overrun) means we no longer know: read again.
        if (result == -NLE_NOMEM || result == -NLE_MSG_OVERFLOW) resync();
    });
}

InterfaceWatch::~InterfaceWatch() = default;

int InterfaceWatch::subscribe(const std::string& interface, Handler handler) {
    int id = next_id_++;
    subscriptions_[id] = Subscription{interface, std::move(handler), read_interface(interface)};
    return id;
}

void InterfaceWatch::unsubscribe(int id) { subscriptions_.erase(id); }

int InterfaceWatch::on_message(nl_msg* msg, void* self) {
    auto* watch = static_cast<InterfaceWatch*>(self);
    nlmsghdr* header = nlmsg_hdr(msg);
    if (header->nlmsg_type == RTM_NEWLINK || header->nlmsg_type == RTM_DELLINK) {
        if (nlattr* name = nlmsg_find_attr(header, sizeof(ifinfomsg), IFLA_IFNAME))
            watch->changed(std::string(static_cast<const char*>(nla_data(name)),
                                       strnlen(static_cast<const char*>(nla_data(name)),
                                               static_cast<std::size_t>(nla_len(name)))));
    } else if (header->nlmsg_type == RTM_NEWADDR || header->nlmsg_type == RTM_DELADDR) {
        if (header->nlmsg_len >= NLMSG_LENGTH(sizeof(ifaddrmsg)))
            watch->changed_index(
                static_cast<int>(static_cast<ifaddrmsg*>(nlmsg_data(header))->ifa_index));
    }
    return NL_OK;
}

void InterfaceWatch::changed(const std::string& interface) {
    bool watched = false;
    for (const auto& [id, sub] : subscriptions_) watched |= sub.interface == interface;
    if (!watched) return;
    auto now = read_interface(interface);
    // Handlers may unsubscribe (reload), so iterate over a snapshot of the ids.
    std::vector<int> ids;
    for (const auto& [id, sub] : subscriptions_) ids.push_back(id);
    for (int id : ids) {
        auto it = subscriptions_.find(id);
        if (it == subscriptions_.end() || it->second.interface != interface ||
            it->second.last == now)
            continue;
        it->second.last = now;
        auto handler = it->second.handler;
        handler(now);
    }
}

void InterfaceWatch::changed_index(int index) {
    std::set<std::string> names;
    for (const auto& [id, sub] : subscriptions_)
        if (sub.last.index == index) names.insert(sub.interface);
    for (const auto& name : names) changed(name);
}

void InterfaceWatch::resync() {
    log::warning("interface watch: notifications were lost, re-reading interfaces");
    std::set<std::string> names;
    for (const auto& [id, sub] : subscriptions_) names.insert(sub.interface);
    for (const auto& name : names) changed(name);
}

}  // namespace directord::vrrp
