#pragma once
// Announcing the VIPs on take-over so neighbours' caches follow the master at once: for IPv4
// gratuitous ARP requests (sha = our MAC, spa = tpa = VIP, tha = broadcast), for IPv6
// unsolicited neighbour advertisements (override flag, from the VIP to all nodes), both as
// keepalived sends them, through an AF_PACKET socket; bursts, an optional second burst and a
// periodic refresh while MASTER.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address_v4.hpp>
#include <boost/asio/ip/address_v6.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <string>
#include <vector>

#include "directord/config/model.hpp"
#include "directord/vrrp/host.hpp"

namespace directord::vrrp {

// The 42-byte Ethernet frame of one gratuitous ARP request.
std::vector<std::uint8_t> build_garp_frame(const MacAddress& source_mac,
                                           const boost::asio::ip::address_v4& vip);
// The 86-byte Ethernet frame of one unsolicited neighbour advertisement (RFC 4861 §7.2.6).
std::vector<std::uint8_t> build_unsolicited_na_frame(const MacAddress& source_mac,
                                                     const boost::asio::ip::address_v6& vip,
                                                     bool router);

class VipAnnouncer : public Announcer {
  public:
    // Throws IoError if the packet socket cannot be opened. Sends nothing until rebind().
    VipAnnouncer(boost::asio::io_context& io, std::string instance, std::string interface);
    ~VipAnnouncer();
    VipAnnouncer(const VipAnnouncer&) = delete;
    VipAnnouncer& operator=(const VipAnnouncer&) = delete;

    void start(const std::vector<IpAddress>& vips, const config::Garp& schedule) override;
    void stop() override;
    void rebind(int ifindex, const MacAddress& mac) override;
    unsigned long sent() const { return sent_; }

  private:
    void burst(unsigned count);
    void schedule_refresh();
    bool forwards_ipv6() const;
    static void after(boost::asio::steady_timer& timer, std::chrono::microseconds delay,
                      std::function<void()> then);

    std::string instance_;
    std::string interface_;
    int ifindex_ = 0;
    MacAddress mac_{};
    int fd_ = -1;
    boost::asio::steady_timer burst_timer_;  // spacing inside a burst
    boost::asio::steady_timer cycle_timer_;  // second burst, then refresh
    std::vector<std::vector<std::uint8_t>> frames_;
    config::Garp schedule_;
    unsigned long sent_ = 0;
};

}  // namespace directord::vrrp
