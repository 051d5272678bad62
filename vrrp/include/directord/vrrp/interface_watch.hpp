#pragma once
// Interfaces as they change under the daemon: created, deleted, up/down, carrier, MAC and
// IPv4 addresses. rtnetlink link and address notifications, read on the event loop, say
// *which* interface changed; its state is then read again in full, so a lost or reordered
// notification can never leave us believing something the kernel no longer says.
#include <boost/asio/io_context.hpp>
#include <functional>
#include <map>
#include <string>

#include "directord/vrrp/host_view.hpp"
#include "directord/vrrp/netlink_socket.hpp"

struct nl_sock;
struct nl_msg;

namespace directord::vrrp {

class InterfaceWatch {
  public:
    using Handler = std::function<void(const InterfaceInfo&)>;

    explicit InterfaceWatch(boost::asio::io_context& io);  // throws IoError
    ~InterfaceWatch();
    InterfaceWatch(const InterfaceWatch&) = delete;
    InterfaceWatch& operator=(const InterfaceWatch&) = delete;

    // Calls `handler` on every change of `interface` (appearing, disappearing included).
    // Returns an id for unsubscribe().
    int subscribe(const std::string& interface, Handler handler);
    void unsubscribe(int id);

  private:
    struct Subscription {
        std::string interface;
        Handler handler;
        InterfaceInfo last;
    };
    static int on_message(nl_msg* msg, void* self);
    void changed(const std::string& interface);
    void changed_index(int index);
    void resync();

    std::map<int, Subscription> subscriptions_;
    int next_id_ = 1;
    NetlinkSocket netlink_;  // last: destroyed first, before what its callbacks use
};

}  // namespace directord::vrrp
