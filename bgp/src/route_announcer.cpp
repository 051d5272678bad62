#include "directord/bgp/route_announcer.hpp"

#include <boost/asio/post.hpp>

#include "directord/io_error.hpp"
#include "directord/log.hpp"

namespace directord::bgp {

struct RouteAnnouncer::Vip {
    Vip(const config::BgpVip& s, VipHealth h, VipRule r)
        : settings(s), health(std::move(h)), rule(r) {}
    config::BgpVip settings;
    std::vector<std::size_t> virtual_servers;
    VipHealth health;
    VipRule rule;
    bool route_present = false;
    std::string reason = "not decided yet";
    std::chrono::system_clock::time_point since = std::chrono::system_clock::now();
    unsigned long withdrawals = 0;
};

namespace {
// After a refused route change: the next try.
constexpr auto kRetry = std::chrono::seconds(1);
}  // namespace

RouteAnnouncer::RouteAnnouncer(boost::asio::io_context& io, RoutesFactory routes, CountOf count)
    : io_(io), make_routes_(std::move(routes)), count_(std::move(count)), retry_(io) {}

RouteAnnouncer::~RouteAnnouncer() = default;

void RouteAnnouncer::apply(const config::Config& cfg) {
    const bool fresh =
        cfg.bgp && (!routes_ || !settings_ || settings_->route_protocol != cfg.bgp->route_protocol);
    const auto drain = settings_ ? settings_->drain : std::chrono::microseconds(0);
    for (auto it = vips_.begin(); it != vips_.end();) {
        bool kept = cfg.bgp && !fresh &&
                    std::any_of(cfg.bgp->vips.begin(), cfg.bgp->vips.end(),
                                [&](const config::BgpVip& v) { return v.address == it->first; });
        if (kept) {
            ++it;
            continue;
        }
        // A new protocol: the old routes go now, while they can still be named.
        forget(it->first, fresh ? std::chrono::microseconds(0) : drain);
        it = vips_.erase(it);
    }
    settings_ = cfg.bgp;
    if (!settings_) {
        watch_files(cfg);
        return;
    }
    OwnRoutes found;
    if (fresh) {
        try {
            routes_ = make_routes_(settings_->route_protocol);
            found = routes_->read();
        } catch (const IoError& e) {
            ++route_errors_;
            log::error("bgp: {}", e.what());
            if (!routes_) return;
        }
    }
    for (const auto& v : settings_->vips) {
        std::vector<std::size_t> served;
        std::vector<std::optional<config::Watermarks>> watermarks;
        for (std::size_t i = 0; i < cfg.virtual_servers.size(); ++i) {
            const auto& vs = cfg.virtual_servers[i];
            if (vs.announce && std::any_of(vs.frontends.begin(), vs.frontends.end(),
                                           [&](const auto& f) { return f.address == v.address; })) {
                served.push_back(i);
                watermarks.push_back(vs.watermarks);
            }
        }
        auto& vip = vips_[v.address];
        VipHealth health(watermarks, v.require_all);
        if (!vip) {
            bool found_announced = found.announced.count(v.address) > 0;
            vip = std::make_unique<Vip>(v, std::move(health),
                                        VipRule(settings_->hold_down, found_announced));
            vip->route_present = found_announced;
            if (found_announced)
                log::info("bgp: {} found announced: kept through the warm-up",
                          v.address.to_string());
            if (auto error = routes_->set_delivery(v.address, true)) {
                ++route_errors_;
                log::error("bgp: {}", *error);
            }
        } else {
            vip->health = std::move(health);
            vip->rule.set_hold_down(settings_->hold_down);
        }
        vip->settings = v;
        vip->virtual_servers = std::move(served);
    }
    // Routes of this protocol for addresses no longer configured: an earlier run's.
    for (const auto& a : found.announced)
        if (!vips_.count(a)) forget(a, std::chrono::microseconds(0));
    for (const auto& a : found.delivered)
        if (!vips_.count(a) && !found.announced.count(a)) forget(a, std::chrono::microseconds(0));
    watch_files(cfg);
    reevaluate();
}

void RouteAnnouncer::forget(const config::IpAddress& address, std::chrono::microseconds drain) {
    if (!routes_) return;
    if (auto error = routes_->set_announced(address, false)) {
        ++route_errors_;
        log::error("bgp: {}", *error);
    }
    if (drain.count() == 0)
        log::info("bgp: {} is not configured: withdrawn, local delivery removed",
                  address.to_string());
    else
        log::info("bgp: {} is no longer configured: withdrawn, local delivery removed in {}",
                  address.to_string(), format_duration(drain));
    auto remove_delivery = [this, address, alive = std::weak_ptr<bool>(alive_)] {
        if (alive.expired() || vips_.count(address) || !routes_) return;
        if (auto error = routes_->set_delivery(address, false)) {
            ++route_errors_;
            log::error("bgp: {}", *error);
        }
    };
    if (drain.count() == 0) {
        remove_delivery();
        return;
    }
    auto timer = std::make_unique<boost::asio::steady_timer>(io_, drain);
    timer->async_wait([remove_delivery](const boost::system::error_code& ec) {
        if (!ec) remove_delivery();
    });
    std::erase_if(draining_, [](const auto& t) { return t->expiry() < Clock::now(); });
    draining_.push_back(std::move(timer));
}

void RouteAnnouncer::watch_files(const config::Config& cfg) {
    if (files_)
        for (int id : watches_) files_->unwatch(id);
    watches_.clear();
    down_present_.clear();
    maintenance_present_ = false;
    maintenance_file_.reset();
    if (!cfg.bgp) return;
    std::vector<std::string> down_files;
    for (const auto& v : cfg.bgp->vips)
        if (v.down_file) down_files.push_back(*v.down_file);
    if (!cfg.maintenance_file && down_files.empty()) return;
    try {
        if (!files_) files_ = std::make_unique<healthcheck::FileWatch>(io_);
        if (cfg.maintenance_file) {
            maintenance_file_ = cfg.maintenance_file;
            watches_.push_back(files_->watch(*maintenance_file_, [this](bool present) {
                maintenance_present_ = present;
                reevaluate();
            }));
            maintenance_present_ = healthcheck::FileWatch::exists(*maintenance_file_);
        }
        for (const auto& file : down_files) {
            watches_.push_back(files_->watch(file, [this, file](bool present) {
                down_present_[file] = present;
                log::info("bgp: down file {} {}", file, present ? "created" : "removed");
                reevaluate();
            }));
            down_present_[file] = healthcheck::FileWatch::exists(file);
        }
    } catch (const IoError& e) {
        log::error("bgp: {}", e.what());
    }
}

std::optional<std::string> RouteAnnouncer::maintenance(const Vip& vip) const {
    if (maintenance_present_) return "maintenance file " + *maintenance_file_ + " present";
    if (vip.settings.down_file) {
        auto it = down_present_.find(*vip.settings.down_file);
        if (it != down_present_.end() && it->second)
            return "down file " + *vip.settings.down_file + " present";
    }
    return std::nullopt;
}

void RouteAnnouncer::reevaluate() {
    if (posted_ || stopped_ || !settings_) return;
    posted_ = true;
    boost::asio::post(io_, [this, alive = std::weak_ptr<bool>(alive_)] {
        if (!alive.expired()) evaluate();
    });
}

void RouteAnnouncer::evaluate() {
    posted_ = false;
    if (stopped_ || !settings_ || !routes_) return;
    const auto now = Clock::now();
    std::optional<Clock::time_point> next;
    for (auto& [address, vip] : vips_) {
        Inputs in;
        in.maintenance = maintenance(*vip);
        std::vector<ServiceCount> counts;
        for (auto i : vip->virtual_servers) {
            counts.push_back(count_(i));
            in.unchecked += counts.back().unknown;
        }
        if (!in.maintenance && in.unchecked == 0) in.unhealthy = vip->health.judge(counts);
        auto d = vip->rule.decide(in, now);
        vip->reason = d.reason;
        if (d.retry_at && (!next || *d.retry_at < *next)) next = d.retry_at;
        if (d.announce != vip->route_present) {
            write(*vip, d.announce);
            if (d.announce != vip->route_present)
                next = std::min(next.value_or(now + kRetry), now + kRetry);
        }
    }
    schedule(next);
}

void RouteAnnouncer::write(Vip& vip, bool announce) {
    const auto& address = vip.settings.address;
    if (auto error = routes_->set_announced(address, announce)) {
        ++route_errors_;
        log::error("bgp: {} (retrying in {} s)", *error, kRetry.count());
        return;
    }
    vip.route_present = announce;
    vip.since = std::chrono::system_clock::now();
    if (!announce) ++vip.withdrawals;
    const auto vip_text = address.to_string();
    log::info(
        {.state = announce ? "announced" : "withdrawn", .vip = vip_text, .reason = vip.reason},
        "bgp: {} {} ({})", vip_text, announce ? "announced" : "withdrawn", vip.reason);
    if (listeners_.empty()) return;
    auto status = status_of(vip);
    for (const auto& listener : listeners_) listener(status);
}

VipStatus RouteAnnouncer::status_of(const Vip& vip) const {
    VipStatus v{
        vip.settings.address, vip.route_present, vip.reason, vip.since, vip.withdrawals, {}};
    for (auto i : vip.virtual_servers) v.virtual_servers.push_back(count_(i).name);
    return v;
}

void RouteAnnouncer::schedule(std::optional<Clock::time_point> at) {
    retry_.cancel();
    if (!at) return;
    retry_.expires_at(*at);
    retry_.async_wait([this](const boost::system::error_code& ec) {
        if (!ec) reevaluate();
    });
}

std::chrono::microseconds RouteAnnouncer::withdraw_all() {
    stopped_ = true;
    retry_.cancel();
    bool any = false;
    for (auto& [address, vip] : vips_) {
        if (!vip->route_present) continue;
        vip->reason = "directord stopping";
        write(*vip, false);
        any = true;
    }
    return any && settings_ ? settings_->drain : std::chrono::microseconds(0);
}

AnnounceStatus RouteAnnouncer::status() const {
    AnnounceStatus s;
    s.configured = settings_.has_value();
    if (!settings_) return s;
    s.engine = settings_->engine;
    s.route_protocol = settings_->route_protocol;
    s.route_errors = route_errors_;
    for (const auto& [address, vip] : vips_) s.vips.push_back(status_of(*vip));
    return s;
}

}  // namespace directord::bgp
