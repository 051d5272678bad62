#pragma once
// The raw IPPROTO_VRRP socket of one interface, shared by every instance on it and
// demultiplexed by VRID. Packets that fail the codec are counted here by reason.
#include <array>
#include <boost/asio/generic/raw_protocol.hpp>
#include <boost/asio/io_context.hpp>
#include <functional>
#include <map>
#include <span>
#include <string>

#include "directord/log.hpp"
#include "directord/vrrp/host.hpp"
#include "directord/vrrp/packet.hpp"

namespace directord::vrrp {

class VrrpSocket : public AdvertChannel {
  public:
    // Opens, binds to the interface and joins 224.0.0.18 on it. Throws IoError. `drops`: the
    // counts of the socket this one replaces (the interface was re-created).
    VrrpSocket(boost::asio::io_context& io, const std::string& interface, int ifindex,
               const DropCounters& drops = {});

    void subscribe(std::uint8_t vrid, Handler handler) override {
        handlers_[vrid] = std::move(handler);
    }
    void unsubscribe(std::uint8_t vrid) override { handlers_.erase(vrid); }
    bool unused() const { return handlers_.empty(); }

    // Sends a whole IPv4 packet (we write the header: TTL 255, TOS 0xc0, our own IP ID).
    bool send(std::span<const std::uint8_t> packet,
              const boost::asio::ip::address_v4& destination) override;
    const DropCounters& drops() const { return drops_; }
    const std::string& interface() const { return interface_; }
    int ifindex() const { return ifindex_; }

  private:
    void receive();
    void on_packet(std::size_t length);

    std::string interface_;
    int ifindex_;
    boost::asio::basic_raw_socket<boost::asio::generic::raw_protocol> socket_;
    std::array<std::uint8_t, 2048> buffer_{};
    std::map<std::uint8_t, Handler> handlers_;
    DropCounters drops_{};
    log::RateLimiter send_log_{std::chrono::seconds(10)};
    log::RateLimiters drop_log_{static_cast<std::size_t>(DropReason::count_),
                                std::chrono::seconds(10)};  // per reason
};

}  // namespace directord::vrrp
