#pragma once
// The raw IPPROTO_VRRP socket of one interface and family, shared by every instance on it and
// demultiplexed by VRID. Packets that fail the codec are counted here by reason.
#include <array>
#include <boost/asio/generic/raw_protocol.hpp>
#include <boost/asio/io_context.hpp>
#include <functional>
#include <initializer_list>
#include <map>
#include <span>
#include <string>

#include "directord/log.hpp"
#include "directord/vrrp/host.hpp"
#include "directord/vrrp/packet.hpp"

namespace directord::vrrp {

class VrrpSocket : public AdvertChannel {
  public:
    // Opens, binds to the interface and joins 224.0.0.18 / ff02::12 on it. Throws IoError.
    // `drops`: the counts of the socket this one replaces (the interface was re-created).
    VrrpSocket(boost::asio::io_context& io, const std::string& interface, int ifindex, bool ipv6,
               const DropCounters& drops = {});

    void subscribe(std::uint8_t vrid, Handler handler) override {
        handlers_[vrid] = std::move(handler);
    }
    void unsubscribe(std::uint8_t vrid) override { handlers_.erase(vrid); }
    bool unused() const { return handlers_.empty(); }

    // IPv4: we write the header (TTL 255, TOS 0xc0, our own IP ID); IPv6: the kernel does, from
    // `source` with hop limit 255 and traffic class 0xc0.
    bool send(const Advert& advert, const IpAddress& source, const IpAddress& destination) override;
    const DropCounters& drops() const { return drops_; }
    const std::string& interface() const { return interface_; }
    int ifindex() const { return ifindex_; }

  private:
    struct IntOption {
        int name;
        int value;
        const char* what;
    };
    void set_int_options(int level, std::initializer_list<IntOption> options);
    void open_ipv4();
    void open_ipv6();
    void receive();
    // Reads one datagram and decodes it; false when none was waiting.
    bool read_one();
    void dispatch(const DecodeResult& result, const std::string& from);

    std::string interface_;
    int ifindex_;
    bool ipv6_;
    std::uint16_t ip_id_ = 0;
    boost::asio::basic_raw_socket<boost::asio::generic::raw_protocol> socket_;
    std::array<std::uint8_t, 2048> buffer_{};
    std::map<std::uint8_t, Handler> handlers_;
    DropCounters drops_{};
    log::RateLimiter send_log_{std::chrono::seconds(10)};
    log::RateLimiters drop_log_{static_cast<std::size_t>(DropReason::count_),
                                std::chrono::seconds(10)};  // per reason
};

}  // namespace directord::vrrp
