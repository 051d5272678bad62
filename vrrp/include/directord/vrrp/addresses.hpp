#pragma once
// Adds and removes VIPs through rtnetlink (libnl-route) without waiting: requests are sent
// on a non-blocking socket and the kernel's acknowledgements are read on the event loop.
#include <boost/asio/io_context.hpp>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "directord/config/model.hpp"
#include "directord/vrrp/netlink_socket.hpp"

struct nl_sock;
struct nl_msg;
struct nlmsgerr;
struct sockaddr_nl;

namespace directord::vrrp {

class AddressManager {
  public:
    // Called with std::nullopt on success, or a message naming the address, the interface
    // and the kernel's reason.
    using Done = std::function<void(const std::optional<std::string>& error)>;

    explicit AddressManager(boost::asio::io_context& io);  // throws IoError
    ~AddressManager();
    AddressManager(const AddressManager&) = delete;
    AddressManager& operator=(const AddressManager&) = delete;

    // Both are idempotent: adding a present address or removing an absent one succeeds.
    void add(int ifindex, const std::string& interface, const config::Vip& vip, Done done);
    void remove(int ifindex, const std::string& interface, const config::Vip& vip, Done done);

  private:
    struct Pending {
        std::string what;   // "add address 10.0.0.1/24 on eth0"
        int ignored_error;  // errno that means "already so"
        Done done;
    };
    void request(bool add, int ifindex, std::string what, const config::Vip& vip, Done done);
    void send(nl_msg* msg, Pending pending);
    void finish(unsigned sequence, int error, const std::string& detail);
    static int on_ack(nl_msg* msg, void* self);
    static int on_error(sockaddr_nl* who, nlmsgerr* error, void* self);

    std::map<unsigned, Pending> pending_;
    NetlinkSocket netlink_;  // last: destroyed first, before what its callbacks use
};

std::string describe(const config::Vip& vip);

}  // namespace directord::vrrp
