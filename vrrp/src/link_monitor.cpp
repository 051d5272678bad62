#include "directord/vrrp/link_monitor.hpp"

#include <linux/if.h>
#include <linux/rtnetlink.h>
#include <netlink/errno.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "directord/log.hpp"
#include "directord/vrrp/io_error.hpp"

namespace directord::vrrp {

LinkMonitor::LinkMonitor(boost::asio::io_context& io)
    : netlink_(io, "rtnetlink link notifications", [this](nl_sock* sock) {
          nl_socket_modify_cb(sock, NL_CB_VALID, NL_CB_CUSTOM, &LinkMonitor::on_message, this);
          return nl_socket_add_membership(sock, RTNLGRP_LINK);
      }) {
    netlink_.receive([this](int result) {
        // A lost notification (receive buffer overrun) means we no longer know: ask again.
        if (result == -NLE_NOMEM || result == -NLE_MSG_OVERFLOW) resync();
    });
}

LinkMonitor::~LinkMonitor() = default;

bool LinkMonitor::running(const std::string& interface) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    ifreq req{};
    std::strncpy(req.ifr_name, interface.c_str(), IFNAMSIZ - 1);
    bool up = ioctl(fd, SIOCGIFFLAGS, &req) == 0 && (req.ifr_flags & IFF_UP) &&
              (req.ifr_flags & IFF_RUNNING);
    close(fd);
    return up;
}

int LinkMonitor::subscribe(const std::string& interface, Handler handler) {
    int id = next_id_++;
    subscriptions_[id] = Subscription{interface, std::move(handler), running(interface)};
    return id;
}

void LinkMonitor::unsubscribe(int id) { subscriptions_.erase(id); }

int LinkMonitor::on_message(nl_msg* msg, void* self) {
    nlmsghdr* header = nlmsg_hdr(msg);
    if (header->nlmsg_type != RTM_NEWLINK && header->nlmsg_type != RTM_DELLINK) return NL_OK;
    auto* info = static_cast<ifinfomsg*>(nlmsg_data(header));
    nlattr* name = nlmsg_find_attr(header, sizeof(ifinfomsg), IFLA_IFNAME);
    if (!name) return NL_OK;
    bool up = header->nlmsg_type == RTM_NEWLINK && (info->ifi_flags & IFF_UP) &&
              (info->ifi_flags & IFF_RUNNING);
    static_cast<LinkMonitor*>(self)->update(static_cast<const char*>(nla_data(name)), up);
    return NL_OK;
}

void LinkMonitor::update(const std::string& interface, bool up) {
    // Handlers may unsubscribe (reload), so iterate over a snapshot of the ids.
    std::vector<int> ids;
    for (const auto& [id, sub] : subscriptions_) ids.push_back(id);
    for (int id : ids) {
        auto it = subscriptions_.find(id);
        if (it == subscriptions_.end() || it->second.interface != interface ||
            it->second.last == up)
            continue;
        it->second.last = up;
        auto handler = it->second.handler;
        handler(up);
    }
}

void LinkMonitor::resync() {
    log::warning("link monitor: notifications were lost, re-reading interface states");
    std::vector<std::string> names;
    for (const auto& [id, sub] : subscriptions_) names.push_back(sub.interface);
    for (const auto& name : names) update(name, running(name));
}

}  // namespace directord::vrrp
