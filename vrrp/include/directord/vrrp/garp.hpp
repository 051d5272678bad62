#pragma once
// Gratuitous ARP on take-over: bursts of ARP requests (sha = our MAC, spa = tpa = VIP,
// tha = broadcast, as keepalived sends them) through an AF_PACKET socket, then an
// optional second burst and periodic refresh while MASTER.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address_v4.hpp>
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

class ArpAnnouncer : public Announcer {
  public:
    // Throws IoError if the packet socket cannot be opened. Sends nothing until rebind().
    ArpAnnouncer(boost::asio::io_context& io, std::string instance, std::string interface);
    ~ArpAnnouncer();
    ArpAnnouncer(const ArpAnnouncer&) = delete;
    ArpAnnouncer& operator=(const ArpAnnouncer&) = delete;

    // Announces `vips` now per `schedule` (burst, second burst, refresh). Replaces any schedule
    // running.
    void start(const std::vector<boost::asio::ip::address_v4>& vips,
               const config::Garp& schedule) override;
    void stop() override;
    void rebind(int ifindex, const MacAddress& mac) override;
    unsigned long sent() const { return sent_; }

  private:
    void burst(unsigned count);
    void schedule_refresh();
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
