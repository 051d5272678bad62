#pragma once
// The typed, validated configuration. An immutable snapshot: a reload builds a new
// one and the daemon applies the difference.
#include <boost/asio/ip/address.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "directord/duration.hpp"

namespace directord::config {

using IpAddress = boost::asio::ip::address;

// Where a value came from, so runtime messages can point back at the file.
struct Location {
    std::string file;
    int line = 0;
    int column = 0;
    bool operator==(const Location&) const = default;
};

enum class AddressScope { global, site, link, host };

struct Vip {
    IpAddress address;
    std::uint8_t prefix_length = 32;
    std::string label;  // e.g. "eth0:0"; empty = none
    AddressScope scope = AddressScope::global;
    bool operator==(const Vip&) const = default;
};

enum class AuthType { none, pass };

struct Auth {
    AuthType type = AuthType::none;
    std::string password;  // PASS: at most 8 characters, never logged
    bool operator==(const Auth&) const = default;
};

// Gratuitous ARP / unsolicited NA announcements on take-over (keepalived's defaults:
// a burst of 5, and a second burst 5 s later).
struct Garp {
    unsigned count = 5;
    Duration spacing{0};
    Duration repeat_delay = std::chrono::seconds(5);  // 0 = no second burst
    Duration refresh{0};                              // 0 = no periodic refresh while MASTER
    bool operator==(const Garp&) const = default;
};

// weight 0: a failure puts the instance in FAULT (hands over at once).
// weight < 0: added to the priority while failing; weight > 0: added while succeeding.
struct TrackScript {
    std::string name;
    std::vector<std::string> argv;
    Duration interval = std::chrono::seconds(1);
    Duration timeout = std::chrono::seconds(1);
    int weight = 0;
    unsigned fall = 1;
    unsigned rise = 1;
    bool operator==(const TrackScript&) const = default;
};

struct TrackInterface {
    std::string name;
    int weight = 0;  // 0: link down => FAULT; otherwise added to priority while down
    bool operator==(const TrackInterface&) const = default;
};

// A file whose existence is the signal (maintenance down-file).
struct TrackFile {
    std::string path;
    int weight = 0;  // 0: file present => FAULT (priority-0 hand-over); else added while present
    bool operator==(const TrackFile&) const = default;
};

struct Instance {
    std::string name;
    std::string interface;
    std::uint8_t vrid = 0;
    int version = 2;
    std::uint8_t priority = 100;  // 255 = address owner
    Duration advert_interval = std::chrono::seconds(1);
    bool preempt = true;
    Duration preempt_delay{0};
    Auth auth;
    std::vector<Vip> vips;
    std::vector<IpAddress> unicast_peers;
    Garp garp;
    std::vector<TrackScript> track_scripts;
    std::vector<TrackInterface> track_interfaces;
    std::vector<TrackFile> track_files;
    std::vector<std::string> notify;  // argv run on every state change
    Location location;
    bool operator==(const Instance&) const = default;
    bool ipv6() const { return !vips.empty() && vips.front().address.is_v6(); }
};

struct SyncGroup {
    std::string name;
    std::vector<std::string> instances;
    bool operator==(const SyncGroup&) const = default;
};

struct Config {
    std::string source;  // the file it was read from
    std::string router_id;
    std::optional<std::string> maintenance_file;  // exists => every instance hands over
    std::vector<Instance> instances;
    std::vector<SyncGroup> sync_groups;
};

}  // namespace directord::config
