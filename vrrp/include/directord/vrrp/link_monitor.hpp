#pragma once
// Link state (administratively up + carrier) of interfaces, pushed by rtnetlink
// RTNLGRP_LINK notifications read on the event loop.
#include <boost/asio/io_context.hpp>
#include <functional>
#include <map>
#include <string>

#include "directord/vrrp/netlink_socket.hpp"

struct nl_sock;
struct nl_msg;

namespace directord::vrrp {

class LinkMonitor {
  public:
    using Handler = std::function<void(bool running)>;

    explicit LinkMonitor(boost::asio::io_context& io);  // throws IoError
    ~LinkMonitor();
    LinkMonitor(const LinkMonitor&) = delete;
    LinkMonitor& operator=(const LinkMonitor&) = delete;

    // Calls `handler` on every change of `interface`'s state. Returns an id for unsubscribe().
    int subscribe(const std::string& interface, Handler handler);
    void unsubscribe(int id);
    // The state now (false when the interface does not exist).
    static bool running(const std::string& interface);

  private:
    struct Subscription {
        std::string interface;
        Handler handler;
        bool last;
    };
    static int on_message(nl_msg* msg, void* self);
    void update(const std::string& interface, bool running);
    void resync();

    std::map<int, Subscription> subscriptions_;
    int next_id_ = 1;
    NetlinkSocket netlink_;  // last: destroyed first, before what its callbacks use
};

}  // namespace directord::vrrp
