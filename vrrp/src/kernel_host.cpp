#include "directord/vrrp/kernel_host.hpp"

#include "directord/io_error.hpp"
#include "directord/log.hpp"
#include "directord/vrrp/announcer.hpp"
#include "directord/vrrp/netif.hpp"

namespace directord::vrrp {

KernelHost::KernelHost(boost::asio::io_context& io) : io_(io), addresses_(io), interfaces_(io) {}

InterfaceInfo KernelHost::read_interface(const std::string& name) {
    return vrrp::read_interface(name);
}

int KernelHost::watch_interface(const std::string& name, InterfaceHandler handler) {
    return interfaces_.subscribe(name, std::move(handler));
}

void KernelHost::unwatch_interface(int id) { interfaces_.unsubscribe(id); }

void KernelHost::add_address(int ifindex, const std::string& interface, const config::Vip& vip,
                             AddressDone done) {
    addresses_.add(ifindex, interface, vip, std::move(done));
}

void KernelHost::remove_address(int ifindex, const std::string& interface, const config::Vip& vip,
                                AddressDone done) {
    addresses_.remove(ifindex, interface, vip, std::move(done));
}

std::shared_ptr<AdvertChannel> KernelHost::channel(const std::string& interface, int ifindex,
                                                   bool ipv6) {
    auto key = std::make_pair(interface, ipv6);
    auto it = sockets_.find(key);
    if (it != sockets_.end() && it->second->ifindex() == ifindex) return it->second;
    // New, or the interface was re-created: the old socket is bound to an index that is gone.
    try {
        auto fresh = std::make_shared<VrrpSocket>(
            io_, interface, ifindex, ipv6,
            it != sockets_.end() ? it->second->drops() : DropCounters{});
        sockets_[key] = fresh;
        return fresh;
    } catch (const IoError& e) {
        log::error("{}", e.what());
        return nullptr;
    }
}

std::map<std::string, DropCounters> KernelHost::interface_drops() const {
    // Per interface, both families together: what arrives on eth0 and cannot be used.
    std::map<std::string, DropCounters> out;
    for (const auto& [key, socket] : sockets_) {
        auto& sum = out[key.first];
        for (std::size_t i = 0; i < sum.size(); ++i) sum[i] += socket->drops()[i];
    }
    return out;
}

void KernelHost::release_unused() {
    std::erase_if(sockets_, [](const auto& entry) { return entry.second->unused(); });
}

std::unique_ptr<Announcer> KernelHost::announcer(const std::string& instance,
                                                 const std::string& interface) {
    return std::make_unique<VipAnnouncer>(io_, instance, interface);
}

}  // namespace directord::vrrp
