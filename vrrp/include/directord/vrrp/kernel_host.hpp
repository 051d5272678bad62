#pragma once
// The kernel behind Host: rtnetlink for interfaces and addresses, raw IPPROTO_VRRP sockets,
// AF_PACKET for gratuitous ARP and unsolicited neighbour advertisements.
#include <boost/asio/io_context.hpp>
#include <map>
#include <memory>
#include <string>

#include "directord/vrrp/addresses.hpp"
#include "directord/vrrp/host.hpp"
#include "directord/vrrp/interface_watch.hpp"
#include "directord/vrrp/socket.hpp"

namespace directord::vrrp {

class KernelHost : public Host {
  public:
    explicit KernelHost(boost::asio::io_context& io);  // throws IoError (netlink)

    InterfaceInfo read_interface(const std::string& name) override;
    int watch_interface(const std::string& name, InterfaceHandler handler) override;
    void unwatch_interface(int id) override;
    void add_address(int ifindex, const std::string& interface, const config::Vip& vip,
                     AddressDone done) override;
    void remove_address(int ifindex, const std::string& interface, const config::Vip& vip,
                        AddressDone done) override;
    std::shared_ptr<AdvertChannel> channel(const std::string& interface, int ifindex,
                                           bool ipv6) override;
    std::map<std::string, DropCounters> interface_drops() const override;
    void release_unused() override;
    std::unique_ptr<Announcer> announcer(const std::string& instance,
                                         const std::string& interface) override;

  private:
    boost::asio::io_context& io_;
    AddressManager addresses_;
    InterfaceWatch interfaces_;
    // The newest per interface and family (true: IPv6).
    std::map<std::pair<std::string, bool>, std::shared_ptr<VrrpSocket>> sockets_;
};

}  // namespace directord::vrrp
