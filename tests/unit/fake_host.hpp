#pragma once
// An in-memory kernel for Engine and Instance: interfaces the test creates, deletes and
// changes; VIPs added and removed as requested (answered on the loop, as the kernel's
// acknowledgements are); adverts sent recorded and adverts received injected; announcements
// recorded.
#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "directord/vrrp/host.hpp"
#include "directord/vrrp/packet.hpp"

namespace directord::vrrp::fake {

struct SentAdvert {
    std::string interface;
    IpAddress source;
    IpAddress destination;
    Advert advert;
};

class FakeChannel : public AdvertChannel {
  public:
    FakeChannel(std::string interface, int ifindex, std::vector<SentAdvert>& sent)
        : interface_(std::move(interface)), ifindex_(ifindex), sent_(sent) {}
    void subscribe(std::uint8_t vrid, Handler handler) override {
        handlers_[vrid] = std::move(handler);
    }
    void unsubscribe(std::uint8_t vrid) override { handlers_.erase(vrid); }
    bool send(const Advert& advert, const IpAddress& source,
              const IpAddress& destination) override {
        sent_.push_back({interface_, source, destination, advert});
        return true;
    }
    void deliver(const Received& packet) {
        if (auto it = handlers_.find(packet.advert.vrid); it != handlers_.end()) it->second(packet);
    }
    int ifindex() const { return ifindex_; }
    bool unused() const { return handlers_.empty(); }

  private:
    std::string interface_;
    int ifindex_;
    std::vector<SentAdvert>& sent_;
    std::map<std::uint8_t, Handler> handlers_;
};

struct Announcement {
    std::string instance;
    int ifindex;
    MacAddress mac;
    std::vector<IpAddress> vips;
};

class FakeAnnouncer : public Announcer {
  public:
    FakeAnnouncer(std::string instance, std::vector<Announcement>& log)
        : instance_(std::move(instance)), log_(log) {}
    void start(const std::vector<IpAddress>& vips, const config::Garp&) override {
        log_.push_back({instance_, ifindex_, mac_, vips});
    }
    void stop() override {}
    void rebind(int ifindex, const MacAddress& mac) override {
        ifindex_ = ifindex;
        mac_ = mac;
    }

  private:
    std::string instance_;
    std::vector<Announcement>& log_;
    int ifindex_ = 0;
    MacAddress mac_{};
};

class FakeHost : public Host {
  public:
    explicit FakeHost(boost::asio::io_context& io) : io_(io) {}

    // --- what the test does to the "kernel"
    // Creates or changes an interface (index 0 deletes it) and tells the watchers.
    void set_interface(const std::string& name, InterfaceInfo info) {
        if (info.index == 0)
            interfaces_.erase(name);
        else
            interfaces_[name] = std::move(info);
        changed(name);
    }
    InterfaceInfo& interface(const std::string& name) { return interfaces_.at(name); }
    void changed(const std::string& name) {
        auto now = read_interface(name);
        std::vector<int> ids;
        for (const auto& [id, w] : watches_)
            if (w.first == name) ids.push_back(id);
        for (int id : ids)
            if (auto it = watches_.find(id); it != watches_.end()) it->second.second(now);
    }
    // Another program removes or adds an address.
    void remove_address_by_other(const std::string& name, const char* address) {
        auto& list = interfaces_.at(name).addresses;
        std::erase(list, boost::asio::ip::make_address(address));
        changed(name);
    }
    void add_address_by_other(const std::string& name, const char* address) {
        interfaces_.at(name).addresses.push_back(boost::asio::ip::make_address(address));
        changed(name);
    }
    bool has_address(const std::string& name, const char* address) {
        auto it = interfaces_.find(name);
        if (it == interfaces_.end()) return false;
        const auto& list = it->second.addresses;
        return std::find(list.begin(), list.end(), boost::asio::ip::make_address(address)) !=
               list.end();
    }
    // An advert from a peer arrives on `interface`.
    void deliver(const std::string& interface, const Received& packet) {
        if (auto it = channels_.find({interface, packet.source.is_v6()}); it != channels_.end())
            if (auto channel = it->second.lock()) channel->deliver(packet);
    }
    std::vector<SentAdvert> sent;
    std::vector<Announcement> announcements;

    // --- Host
    InterfaceInfo read_interface(const std::string& name) override {
        auto it = interfaces_.find(name);
        return it == interfaces_.end() ? InterfaceInfo{} : it->second;
    }
    int watch_interface(const std::string& name, InterfaceHandler handler) override {
        watches_[next_id_] = {name, std::move(handler)};
        return next_id_++;
    }
    void unwatch_interface(int id) override { watches_.erase(id); }
    void add_address(int ifindex, const std::string& interface, const config::Vip& vip,
                     AddressDone done) override {
        request(ifindex, interface, vip, true, std::move(done));
    }
    void remove_address(int ifindex, const std::string& interface, const config::Vip& vip,
                        AddressDone done) override {
        request(ifindex, interface, vip, false, std::move(done));
    }
    std::shared_ptr<AdvertChannel> channel(const std::string& interface, int ifindex,
                                           bool ipv6) override {
        auto& slot = channels_[{interface, ipv6}];
        auto existing = slot.lock();
        if (existing && existing->ifindex() == ifindex) return existing;
        auto fresh = std::make_shared<FakeChannel>(interface, ifindex, sent);
        slot = fresh;
        return fresh;
    }
    std::map<std::string, DropCounters> interface_drops() const override { return {}; }
    void release_unused() override {}
    std::unique_ptr<Announcer> announcer(const std::string& instance, const std::string&) override {
        return std::make_unique<FakeAnnouncer>(instance, announcements);
    }

  private:
    void request(int ifindex, const std::string& interface, const config::Vip& vip, bool add,
                 AddressDone done) {
        boost::asio::post(
            io_, [this, ifindex, interface, address = vip.address, add, done = std::move(done)] {
                auto it = interfaces_.find(interface);
                if (it == interfaces_.end() || it->second.index != ifindex) {
                    done(add ? std::optional<std::string>("no such device") : std::nullopt);
                    return;
                }
                auto& list = it->second.addresses;
                bool present = std::find(list.begin(), list.end(), address) != list.end();
                if (add && !present) list.push_back(address);
                if (!add && present) std::erase(list, address);
                done(std::nullopt);
                if (add != present) changed(interface);  // the kernel's notification
            });
    }

    boost::asio::io_context& io_;
    std::map<std::string, InterfaceInfo> interfaces_;
    std::map<int, std::pair<std::string, InterfaceHandler>> watches_;
    int next_id_ = 1;
    std::map<std::pair<std::string, bool>, std::weak_ptr<FakeChannel>> channels_;
};

}  // namespace directord::vrrp::fake
