#include "directord/bgp/engine_sessions.hpp"

#include <fmt/format.h>

#include <boost/asio/post.hpp>
#include <nlohmann/json.hpp>
#include <sstream>

#include "directord/healthcheck/process.hpp"
#include "directord/log.hpp"

namespace directord::bgp {

namespace {
// Often enough for status to follow a session, rarely enough to cost nothing.
constexpr auto kEvery = std::chrono::seconds(5);
constexpr auto kTimeout = std::chrono::seconds(3);
// FRR's summary and BFD list take ~600 bytes a peer and family, so a check's 4 KiB would
// cut the document of a director with three peers: room here for well over a thousand.
constexpr std::size_t kMaxEngineOutput = std::size_t{1} << 20;

// FRR's `show bfd peers json`: [{"peer": "10.0.1.1", "status": "up", ...}, ...].
void read_frr_bfd(const nlohmann::json& peers, EngineReading& reading) {
    for (const auto& p : peers) {
        if (!p.is_object() || !p.value("peer", nlohmann::json()).is_string()) continue;
        auto status = p.value("status", nlohmann::json());
        std::string state = status.is_string() ? status.get<std::string>() : "unknown";
        reading.bfd.push_back({p["peer"].get<std::string>(), state, state == "up"});
    }
}

// Why the engine could not be read: the program and its outcome (with whether it printed more
// than is read and, when it failed, its first line).
EngineReading failed(const std::string& program, const healthcheck::ProcessResult& r) {
    EngineReading reading;
    reading.error = program + ": " + r.reason();
    return reading;
}
}  // namespace

EngineReading parse_frr_summary(const std::string& json) {
    EngineReading reading;
    // The program's output has stderr too: vtysh warns before the document.
    auto start = json.find('{');
    if (start == std::string::npos) {
        reading.error = "not JSON: " + json.substr(0, 80);
        return reading;
    }
    nlohmann::json doc;
    std::istringstream in(json.substr(start));
    try {
        in >> doc;  // the first document only: the BFD list follows it
    } catch (const nlohmann::json::exception& e) {
        // Where the parser stopped says what went wrong (an end cut short, a stray comma).
        reading.error = fmt::format("not JSON ({}): {}", e.what(), json.substr(start, 80));
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
    // No list at all is an FRR without bfdd; a list that does not parse is said, not read as
    // "no BFD sessions".
    std::string rest(std::istreambuf_iterator<char>(in), {});
    if (auto list = rest.find('['); list != std::string::npos) {
        auto peers = nlohmann::json::parse(rest.substr(list), nullptr, false);
        if (peers.is_array())
            read_frr_bfd(peers, reading);
        else
            reading.error = "BFD peers not JSON: " + rest.substr(list, 80);
    }
    return reading;
}

EngineReading parse_bird_protocols(const std::string& text) {
    // Name       Proto      Table      State  Since         Info
    // upstream   BGP        ---        up     13:25:51.197  Established
    EngineReading reading;
    // IP address                Interface  State      Since         Interval  Timeout
    // 10.0.1.1                  eth0       Up         13:25:51.197    0.100    0.300
    std::istringstream lines(text);
    std::string line;
    bool header = false, bfd_table = false;
    while (std::getline(lines, line)) {
        std::istringstream words(line);
        std::string name, proto, table, state, since, info;
        if (line.rfind("IP address", 0) == 0) {
            bfd_table = true;
            continue;
        }
        if (bfd_table) {
            words >> name >> proto >> state;
            if (!state.empty()) reading.bfd.push_back({name, state, state == "Up"});
            continue;
        }
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

std::vector<EngineCommand> engine_commands(const config::Bgp& bgp) {
    std::vector<std::string> sessions, bfd;
    switch (bgp.engine) {
        case config::RoutingEngine::frr:
            sessions = {"/usr/bin/vtysh", "-c", "show bgp summary json"};
            bfd = {"/usr/bin/vtysh", "-c", "show bfd peers json"};
            break;
        case config::RoutingEngine::bird:
            sessions = {"/usr/sbin/birdc", "show protocols"};
            bfd = {"/usr/sbin/birdc", "show bfd sessions"};
            break;
        case config::RoutingEngine::external:
            break;
    }
    // The engine's own commands as root (its sockets need its group or root); a configured
    // one as process.script_user says.
    std::vector<EngineCommand> commands;
    for (auto [configured, as, fallback] :
         {std::tuple(&bgp.status_command, &bgp.status_as, &sessions),
          std::tuple(&bgp.bfd_command, &bgp.bfd_as, &bfd)}) {
        if (!configured->empty())
            commands.push_back({*configured, *as});
        else if (!fallback->empty())
            commands.push_back({*fallback, {}});
    }
    return commands;
}

EngineWatch::EngineWatch(boost::asio::io_context& io) : io_(io), timer_(io) {}
EngineWatch::~EngineWatch() = default;

void EngineWatch::apply(const config::Config& cfg) {
    auto commands = cfg.bgp ? engine_commands(*cfg.bgp) : std::vector<EngineCommand>{};
    if (commands == commands_ && cfg.bgp && cfg.bgp->engine == engine_) return;
    commands_ = std::move(commands);
    ++generation_;
    if (cfg.bgp) engine_ = cfg.bgp->engine;
    last_.reset();
    timer_.cancel();
    if (commands_.empty()) return;
    if (!slot_) slot_ = std::make_unique<healthcheck::ProcessSlot>(io_, kMaxEngineOutput);
    read();
}

void EngineWatch::read() {
    run(0, {});
    timer_.expires_after(kEvery);
    timer_.async_wait([this](const boost::system::error_code& ec) {
        if (!ec) read();
    });
}

// Command `index`, with the output of those before it; a reload in between (a new
// generation) drops the round.
void EngineWatch::run(std::size_t index, std::string output) {
    const auto& [argv, as] = commands_[index];
    slot_->start(as, argv, {}, kTimeout,
                 [this, index, generation = generation_,
                  output = std::move(output)](const healthcheck::ProcessResult& r) {
                     if (generation != generation_) return;
                     if (!r.success() || r.truncated())
                         return keep(failed(commands_[index].argv.front(), r));
                     auto all = output + r.output;
                     if (index + 1 == commands_.size())
                         return keep(engine_ == config::RoutingEngine::bird
                                         ? parse_bird_protocols(all)
                                         : parse_frr_summary(all));
                     // Posted: the slot's process is still reporting.
                     boost::asio::post(io_, [this, index, generation, all = std::move(all),
                                             alive = std::weak_ptr<bool>(alive_)]() mutable {
                         if (alive.lock() && generation == generation_)
                             run(index + 1, std::move(all));
                     });
                 });
}

void EngineWatch::keep(EngineReading reading) {
    if (reading.error && (!last_ || last_->error != reading.error))
        log::warning("bgp: cannot read the routing engine's sessions: {}", *reading.error);
    last_ = std::move(reading);
}

}  // namespace directord::bgp
