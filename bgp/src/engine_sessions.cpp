#include "directord/bgp/engine_sessions.hpp"

#include <nlohmann/json.hpp>
#include <sstream>

#include "directord/healthcheck/process.hpp"
#include "directord/log.hpp"

namespace directord::bgp {

namespace {
// Often enough for status to follow a session, rarely enough to cost nothing.
constexpr auto kEvery = std::chrono::seconds(5);
constexpr auto kTimeout = std::chrono::seconds(3);
}  // namespace

EngineReading parse_frr_summary(const std::string& json) {
    EngineReading reading;
    // The program's output has stderr too: vtysh warns before the document.
    auto start = json.find('{');
    auto doc = start == std::string::npos
                   ? nlohmann::json()
                   : nlohmann::json::parse(json.substr(start), nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) {  // (a null too: no document at all)
        reading.error = "not JSON: " + json.substr(0, 80);
        return reading;
    }
    // {"ipv4Unicast": {"peers": {"10.0.1.1": {"state": "Established", ...}}}, "ipv6Unicast": ...}
    for (const auto& [family, summary] : doc.items()) {
        if (!summary.is_object() || !summary.contains("peers") || !summary["peers"].is_object())
            continue;
        for (const auto& [peer, info] : summary["peers"].items()) {
            std::string state =
                info.is_object() && info.value("state", nlohmann::json()).is_string()
                    ? info["state"].get<std::string>()
                    : "unknown";
            bool known = false;
            for (const auto& s : reading.sessions) known = known || s.peer == peer;
            if (!known) reading.sessions.push_back({peer, state, state == "Established"});
        }
    }
    return reading;
}

EngineReading parse_bird_protocols(const std::string& text) {
    // Name       Proto      Table      State  Since         Info
    // upstream   BGP        ---        up     13:25:51.197  Established
    EngineReading reading;
    std::istringstream lines(text);
    std::string line;
    bool header = false;
    while (std::getline(lines, line)) {
        std::istringstream words(line);
        std::string name, proto, table, state, since, info;
        words >> name >> proto >> table >> state >> since;
        std::getline(words >> std::ws, info);
        info.erase(info.find_last_not_of(" \t\r") + 1);
        if (name == "Name" && proto == "Proto") header = true;
        if (proto != "BGP") continue;
        auto shown = info.empty() ? state : info;
        reading.sessions.push_back({name, shown, info.rfind("Established", 0) == 0});
    }
    if (!header) reading.error = "not BIRD's protocol list: " + text.substr(0, 80);
    return reading;
}

std::vector<std::string> engine_command(const config::Bgp& bgp) {
    if (!bgp.status_command.empty()) return bgp.status_command;
    switch (bgp.engine) {
        case config::RoutingEngine::frr:
            return {"/usr/bin/vtysh", "-c", "show bgp summary json"};
        case config::RoutingEngine::bird:
            return {"/usr/sbin/birdc", "show protocols"};
        case config::RoutingEngine::external:
            return {};
    }
    return {};
}

EngineWatch::EngineWatch(boost::asio::io_context& io) : io_(io), timer_(io) {}
EngineWatch::~EngineWatch() = default;

void EngineWatch::apply(const config::Config& cfg) {
    auto command = cfg.bgp ? engine_command(*cfg.bgp) : std::vector<std::string>{};
    if (command == command_ && cfg.bgp && cfg.bgp->engine == engine_ &&
        cfg.bgp->status_as == run_as_)
        return;
    command_ = std::move(command);
    if (cfg.bgp) engine_ = cfg.bgp->engine;
    // The engine's own command as root (its sockets need its group or root); a configured one
    // as process.script_user says.
    run_as_ = cfg.bgp ? cfg.bgp->status_as : config::RunAs{};
    last_.reset();
    timer_.cancel();
    if (command_.empty()) return;
    if (!slot_) slot_ = std::make_unique<healthcheck::ProcessSlot>(io_);
    read();
}

void EngineWatch::read() {
    slot_->start(run_as_, command_, {}, kTimeout, [this](const healthcheck::ProcessResult& r) {
        EngineReading reading;
        if (!r.success())
            reading.error =
                command_.front() + ": " + r.describe() +
                (r.output.empty() ? "" : ": " + r.output.substr(0, r.output.find('\n')));
        else
            reading = engine_ == config::RoutingEngine::bird ? parse_bird_protocols(r.output)
                                                             : parse_frr_summary(r.output);
        if (reading.error && (!last_ || last_->error != reading.error))
            log::warning("bgp: cannot read the routing engine's sessions: {}", *reading.error);
        last_ = std::move(reading);
    });
    timer_.expires_after(kEvery);
    timer_.async_wait([this](const boost::system::error_code& ec) {
        if (!ec) read();
    });
}

}  // namespace directord::bgp
