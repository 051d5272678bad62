#pragma once
// Everything a VRRP instance needs from the kernel, behind one small interface: its
// interface's state and changes, VIPs added and removed, the VRRP socket of an interface, and
// the announcer (gratuitous ARP / unsolicited NA). The daemon passes the kernel's (KernelHost);
// unit tests pass an in-memory fake, so Engine and Instance are tested without namespaces.
#include <boost/asio/ip/address_v4.hpp>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "directord/config/model.hpp"
#include "directord/vrrp/host_view.hpp"
#include "directord/vrrp/packet.hpp"

namespace directord::vrrp {

using DropCounters = std::array<unsigned long, static_cast<std::size_t>(DropReason::count_)>;

// The VRRP socket of one interface, shared by every instance on it, demultiplexed by VRID.
class AdvertChannel {
  public:
    using Handler = std::function<void(const Received&)>;
    virtual ~AdvertChannel() = default;
    virtual void subscribe(std::uint8_t vrid, Handler handler) = 0;
    virtual void unsubscribe(std::uint8_t vrid) = 0;
    // Sends `advert` from `source` (the checksum covers both addresses); false when the kernel
    // refused it (logged).
    virtual bool send(const Advert& advert, const IpAddress& source,
                      const IpAddress& destination) = 0;
};

// Announcements of one instance's VIPs: gratuitous ARPs for IPv4, unsolicited neighbour
// advertisements for IPv6.
class Announcer {
  public:
    virtual ~Announcer() = default;
    // Announces `vips` now per `schedule` (burst, second burst, refresh), replacing any
    // schedule running.
    virtual void start(const std::vector<IpAddress>& vips, const config::Garp& schedule) = 0;
    virtual void stop() = 0;
    // The interface was re-created or changed its MAC: frames leave from this one from now on.
    virtual void rebind(int ifindex, const MacAddress& mac) = 0;
};

class Host {
  public:
    // Called with std::nullopt on success, or a message naming the address, the interface
    // and the kernel's reason.
    using AddressDone = std::function<void(const std::optional<std::string>& error)>;
    using InterfaceHandler = std::function<void(const InterfaceInfo&)>;
    virtual ~Host() = default;

    // What the kernel says now; index 0 when the interface does not exist.
    virtual InterfaceInfo read_interface(const std::string& name) = 0;
    // `handler` is called on every change of the interface (appearing and disappearing too).
    virtual int watch_interface(const std::string& name, InterfaceHandler handler) = 0;
    virtual void unwatch_interface(int id) = 0;

    // Idempotent: adding a present address or removing an absent one succeeds. `done` is
    // called later, on the loop, never from inside the call.
    virtual void add_address(int ifindex, const std::string& interface, const config::Vip& vip,
                             AddressDone done) = 0;
    virtual void remove_address(int ifindex, const std::string& interface, const config::Vip& vip,
                                AddressDone done) = 0;

    // The VRRP socket of `interface` and family bound to index `ifindex` (a new one when the
    // interface was re-created); nullptr when it cannot be opened (logged).
    virtual std::shared_ptr<AdvertChannel> channel(const std::string& interface, int ifindex,
                                                   bool ipv6) = 0;
    // Packets dropped before they could be told apart by VRID, per interface.
    virtual std::map<std::string, DropCounters> interface_drops() const = 0;
    // Closes the sockets no instance uses any more.
    virtual void release_unused() = 0;

    // Throws IoError if the sender cannot be opened.
    virtual std::unique_ptr<Announcer> announcer(const std::string& instance,
                                                 const std::string& interface) = 0;
};

}  // namespace directord::vrrp
