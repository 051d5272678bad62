#include "directord/vrrp/garp.hpp"

#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "directord/log.hpp"
#include "directord/vrrp/io_error.hpp"

namespace directord::vrrp {

ArpAnnouncer::ArpAnnouncer(boost::asio::io_context& io, std::string instance, std::string interface)
    : instance_(std::move(instance)),
      interface_(std::move(interface)),
      burst_timer_(io),
      cycle_timer_(io) {
    fd_ = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK,
                 0);  // send only: protocol 0 receives nothing
    if (fd_ < 0) throw errno_error("open ARP socket on", interface_);
}

ArpAnnouncer::~ArpAnnouncer() {
    if (fd_ >= 0) close(fd_);
}

void ArpAnnouncer::start(const std::vector<boost::asio::ip::address_v4>& vips,
                         const config::Garp& schedule) {
    stop();
    schedule_ = schedule;
    frames_.clear();
    std::string list;
    for (const auto& vip : vips) {
        frames_.push_back(build_garp_frame(mac_, vip));
        list += (list.empty() ? "" : ", ") + vip.to_string();
    }
    if (frames_.empty() || schedule_.count == 0) return;
    log::info("{}: sending gratuitous ARPs on {} for {}", instance_, interface_, list);
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

void ArpAnnouncer::rebind(int ifindex, const MacAddress& mac) {
    stop();  // queued frames carry the old MAC; the caller announces again if MASTER
    ifindex_ = ifindex;
    mac_ = mac;
}

void ArpAnnouncer::schedule_refresh() {
    if (schedule_.refresh.count() == 0) return;
    after(cycle_timer_, schedule_.refresh, [this] {
        burst(1);
        schedule_refresh();
    });
}

void ArpAnnouncer::stop() {
    burst_timer_.cancel();
    cycle_timer_.cancel();
}

void ArpAnnouncer::burst(unsigned count) {
    sockaddr_ll to{};
    to.sll_family = AF_PACKET;
    to.sll_ifindex = ifindex_;
    to.sll_halen = 6;
    std::fill_n(to.sll_addr, 6, 0xff);
    for (unsigned i = 0; i < count; ++i) {
        for (const auto& frame : frames_) {
            if (sendto(fd_, frame.data(), frame.size(), 0, reinterpret_cast<sockaddr*>(&to),
                       sizeof to) < 0)
                log::warning("{}: gratuitous ARP on {} failed: {}", instance_, interface_,
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

void ArpAnnouncer::after(boost::asio::steady_timer& timer, std::chrono::microseconds delay,
                         std::function<void()> then) {
    timer.expires_after(delay);
    timer.async_wait([then = std::move(then)](const boost::system::error_code& ec) {
        if (!ec) then();
    });
}

}  // namespace directord::vrrp
