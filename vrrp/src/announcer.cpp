#include "directord/vrrp/announcer.hpp"

#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>

#include "directord/io_error.hpp"
#include "directord/log.hpp"

namespace directord::vrrp {

VipAnnouncer::VipAnnouncer(boost::asio::io_context& io, std::string instance, std::string interface)
    : instance_(std::move(instance)),
      interface_(std::move(interface)),
      burst_timer_(io),
      cycle_timer_(io) {
    fd_ = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK,
                 0);  // send only: protocol 0 receives nothing
    if (fd_ < 0) throw errno_error("open the announcement socket on", interface_);
}

VipAnnouncer::~VipAnnouncer() {
    if (fd_ >= 0) close(fd_);
}

void VipAnnouncer::start(const std::vector<IpAddress>& vips, const config::Garp& schedule) {
    stop();
    schedule_ = schedule;
    frames_.clear();
    std::string arp, na;
    bool router = false;
    if (std::any_of(vips.begin(), vips.end(), [](const auto& vip) { return vip.is_v6(); }))
        router = schedule_.na_router.value_or(forwards_ipv6());
    for (const auto& vip : vips) {
        auto& list = vip.is_v4() ? arp : na;
        list += (list.empty() ? "" : ", ") + vip.to_string();
        frames_.push_back(vip.is_v4() ? build_garp_frame(mac_, vip.to_v4())
                                      : build_unsolicited_na_frame(mac_, vip.to_v6(), router));
    }
    if (frames_.empty() || schedule_.count == 0) return;
    if (!arp.empty())
        log::info("{}: sending gratuitous ARPs on {} for {}", instance_, interface_, arp);
    if (!na.empty())
        log::info("{}: sending unsolicited neighbour advertisements{} on {} for {}", instance_,
                  router ? " (router)" : "", interface_, na);
    burst(schedule_.count);
    if (schedule_.repeat_delay.count() > 0) {
        after(cycle_timer_, schedule_.repeat_delay, [this] {
            burst(schedule_.count);
            schedule_refresh();
        });
    } else {
        schedule_refresh();
    }
}

void VipAnnouncer::rebind(int ifindex, const MacAddress& mac) {
    stop();  // queued frames carry the old MAC; the caller announces again if MASTER
    ifindex_ = ifindex;
    mac_ = mac;
}

void VipAnnouncer::schedule_refresh() {
    if (schedule_.refresh.count() == 0) return;
    after(cycle_timer_, schedule_.refresh, [this] {
        burst(1);
        schedule_refresh();
    });
}

void VipAnnouncer::stop() {
    burst_timer_.cancel();
    cycle_timer_.cancel();
}

void VipAnnouncer::burst(unsigned count) {
    sockaddr_ll to{};
    to.sll_family = AF_PACKET;
    to.sll_ifindex = ifindex_;
    to.sll_halen = 6;
    std::fill_n(to.sll_addr, 6, 0xff);
    for (unsigned i = 0; i < count; ++i) {
        for (const auto& frame : frames_) {
            if (sendto(fd_, frame.data(), frame.size(), 0, reinterpret_cast<sockaddr*>(&to),
                       sizeof to) < 0)
                log::warning("{}: announcing a VIP on {} failed: {}", instance_, interface_,
                             std::strerror(errno));
            else
                ++sent_;
        }
        if (schedule_.spacing.count() > 0 && i + 1 < count) {
            // Spaced bursts continue on the timer so the loop is never held.
            unsigned left = count - i - 1;
            after(burst_timer_, schedule_.spacing, [this, left] { burst(left); });
            return;
        }
    }
}

bool VipAnnouncer::forwards_ipv6() const {
    std::ifstream file("/proc/sys/net/ipv6/conf/" + interface_ + "/forwarding");
    int value = 0;
    return file >> value && value != 0;
}

void VipAnnouncer::after(boost::asio::steady_timer& timer, std::chrono::microseconds delay,
                         std::function<void()> then) {
    timer.expires_after(delay);
    timer.async_wait([then = std::move(then)](const boost::system::error_code& ec) {
        if (!ec) then();
    });
}

}  // namespace directord::vrrp
