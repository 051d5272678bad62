#pragma once
// The announced addresses of a configuration (bgp: and `announce: bgp`) kept in the kernel as
// their rule wants them: delivery while configured, announce while the rule allows. It reads
// the routes of its protocol at the first apply(): an announced route found is kept through
// the warm-up (a restart keeps serving), and routes of addresses no longer configured are
// removed. Withdraw order: the announce route goes first; the delivery route of an address
// removed by a reload goes `drain` later, and a stop waits `drain` before the daemon exits.
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "directord/bgp/announce_rule.hpp"
#include "directord/bgp/routes.hpp"
#include "directord/config/model.hpp"
#include "directord/healthcheck/file_watch.hpp"

namespace directord::bgp {

struct VipStatus {
    config::IpAddress address;
    bool announced = false;  // the announce route is in the kernel
    std::string reason;      // why it is or is not
    std::chrono::system_clock::time_point since;
    unsigned long withdrawals = 0;
    std::vector<std::string> virtual_servers;
};

struct AnnounceStatus {
    bool configured = false;
    config::RoutingEngine engine = config::RoutingEngine::frr;
    unsigned route_protocol = 0;
    unsigned long route_errors = 0;
    std::vector<VipStatus> vips;  // by address
};

class RouteAnnouncer {
  public:
    using RoutesFactory = std::function<std::unique_ptr<Routes>(std::uint8_t protocol)>;
    // A virtual server's real servers now (by its index in the configuration applied).
    using CountOf = std::function<ServiceCount(std::size_t virtual_server)>;

    RouteAnnouncer(boost::asio::io_context& io, RoutesFactory routes, CountOf count);
    ~RouteAnnouncer();
    RouteAnnouncer(const RouteAnnouncer&) = delete;
    RouteAnnouncer& operator=(const RouteAnnouncer&) = delete;

    // After the IPVS side applied `cfg` (the virtual servers' indexes are theirs).
    void apply(const config::Config& cfg);
    // The checks changed: decide again (once per turn of the loop, however many changes).
    void reevaluate();
    // Stop: withdraws every address; returns how long to wait before exiting (drain), zero
    // when nothing was announced.
    std::chrono::microseconds withdraw_all();

    AnnounceStatus status() const;
    // Told of each address announced or withdrawn: the event stream.
    using Listener = std::function<void(const VipStatus&)>;
    void on_change(Listener listener) { listeners_.push_back(std::move(listener)); }

  private:
    struct Vip;
    void evaluate();
    void write(Vip& vip, bool announce);
    void forget(const config::IpAddress& address, std::chrono::microseconds drain);
    void watch_files(const config::Config& cfg);
    std::optional<std::string> maintenance(const Vip& vip) const;
    void schedule(std::optional<Clock::time_point> at);
    VipStatus status_of(const Vip& vip) const;

    boost::asio::io_context& io_;
    RoutesFactory make_routes_;
    CountOf count_;
    std::unique_ptr<Routes> routes_;
    std::optional<config::Bgp> settings_;
    std::map<config::IpAddress, std::unique_ptr<Vip>> vips_;
    std::unique_ptr<healthcheck::FileWatch> files_;
    std::vector<int> watches_;
    std::optional<std::string> maintenance_file_;
    bool maintenance_present_ = false;
    std::map<std::string, bool> down_present_;  // by down file
    boost::asio::steady_timer retry_;
    std::vector<std::unique_ptr<boost::asio::steady_timer>> draining_;
    bool posted_ = false, stopped_ = false;
    unsigned long route_errors_ = 0;
    std::vector<Listener> listeners_;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace directord::bgp
