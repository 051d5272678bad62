#pragma once
// The typed, validated configuration. An immutable snapshot: a reload builds a new
// one and the daemon applies the difference.
#include <boost/asio/ip/address.hpp>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "directord/config/boxed.hpp"
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

// Who a program directord runs (track script, script check, notify hook) runs as: set by the
// loader from process.script_user and process.root_programs.
struct RunAs {
    std::uint32_t uid = 0, gid = 0;
    bool operator==(const RunAs&) const = default;
};

enum class AddressScope { global, site, link, host };

struct Vip {
    IpAddress address;
    std::uint8_t prefix_length = 32;
    std::string label;  // e.g. "eth0:0"; empty = none
    AddressScope scope = AddressScope::global;
    // IPv6: whether the director's own connections (health checks, notify scripts) may leave
    // from this VIP. By default an IPv6 VIP is added deprecated (preferred lifetime 0): it
    // takes and answers traffic as any address, but source selection skips it, so a check of
    // a DR real server (which holds the VIP too) never leaves from the VIP and loses its reply.
    bool source_address = false;
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
    // IPv6: the router flag of the unsolicited neighbour advertisements; unset = as the
    // interface forwards IPv6 or not (keepalived's choice).
    std::optional<bool> na_router;
    bool operator==(const Garp&) const = default;
};

// weight 0: a failure puts the instance in FAULT (hands over at once).
// weight < 0: added to the priority while failing; weight > 0: added while succeeding.
struct TrackScript {
    std::string name;
    std::vector<std::string> argv;
    RunAs run_as;
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

// Health checks of real servers. One kind per check (its kind_name is its key in the file); the
// target is the real server's address and port (or `port` when set).
struct TcpCheck {
    static constexpr std::string_view kind_name = "tcp";
    std::optional<IpAddress> bind;  // source address of the probe
    bool operator==(const TcpCheck&) const = default;
};

struct StatusRange {
    int low = 200;
    int high = 200;
    bool operator==(const StatusRange&) const = default;
};

struct HttpCheck {
    static constexpr std::string_view kind_name = "http";
    std::string method = "GET";  // GET or HEAD
    std::string path = "/";
    std::string host;  // Host header / virtual host; default: the target address
    std::vector<StatusRange> status{{200, 200}};
    std::string body_regex;  // RE2 syntax; empty = body not checked
    bool tls = false;
    bool verify = true;  // TLS certificate and host name
    std::string sni;
    std::string ca_file;
    bool reuse_connection = false;  // keep-alive between probes (keepalived: a new one each)
    bool operator==(const HttpCheck&) const = default;
};

struct ScriptCheck {
    static constexpr std::string_view kind_name = "script";
    std::vector<std::string> argv;  // gets DIRECTORD_RS_ADDRESS / DIRECTORD_RS_PORT
    RunAs run_as;
    bool operator==(const ScriptCheck&) const = default;
};

// Log in (MariaDB/MySQL protocol) and run `query`; healthy when it returns at least one row.
struct MysqlCheck {
    static constexpr std::string_view kind_name = "mysql";
    std::string user;
    std::string password;  // from password_file; never logged
    std::string query = "SELECT 1";
    bool operator==(const MysqlCheck&) const = default;
};

// Log in and read SHOW GLOBAL STATUS LIKE 'wsrep_%': healthy when wsrep_cluster_status=Primary,
// wsrep_ready=ON, wsrep_connected=ON and wsrep_local_state=4 (Synced); state 2
// (Donor/Desynced) is healthy only with donor_ok.
struct GaleraCheck {
    static constexpr std::string_view kind_name = "galera";
    std::string user;
    std::string password;
    bool donor_ok = false;
    bool operator==(const GaleraCheck&) const = default;
};

// UDP_CHECK: send `payload`; an ICMP port unreachable is DOWN. Without require_reply, silence
// until the timeout is UP (keepalived's reading: nothing refused the datagram); with it, a reply
// must come and, where given, start with reply_prefix and match reply_regex.
struct UdpCheck {
    static constexpr std::string_view kind_name = "udp";
    std::string payload;  // bytes (payload or payload_hex in the file)
    bool require_reply = false;
    std::string reply_prefix;  // bytes (reply_hex in the file); empty = any
    std::string reply_regex;   // RE2 syntax; empty = any
    bool operator==(const UdpCheck&) const = default;
};

enum class DnsTransport { udp, tcp };

// DNS_CHECK: query `name` for `type` (recursion desired); healthy when the answer carries the
// query's ID with one of the accepted rcodes and, with require_answer, at least one record.
// The default asks for the root's SOA, as keepalived does.
struct DnsCheck {
    static constexpr std::string_view kind_name = "dns";
    std::string name = ".";
    std::uint16_t type = 6;  // SOA
    DnsTransport transport = DnsTransport::udp;
    std::vector<std::uint8_t> rcodes{0};  // NOERROR
    bool require_answer = false;
    bool operator==(const DnsCheck&) const = default;
};

// PING_CHECK: an ICMP (ICMPv6) echo answered within the timeout. The port is not used.
struct PingCheck {
    static constexpr std::string_view kind_name = "ping";
    bool operator==(const PingCheck&) const = default;
};

// SMTP_CHECK: the banner (220) and EHLO (250); with starttls also STARTTLS (220), a TLS
// handshake and EHLO again; then QUIT.
struct SmtpCheck {
    static constexpr std::string_view kind_name = "smtp";
    std::string helo_name;  // empty: this host's name
    bool starttls = false;
    bool verify = true;  // the certificate, and the name: sni, else the target's address
    std::string sni;
    std::string ca_file;
    bool operator==(const SmtpCheck&) const = default;
};

struct Check {
    std::variant<TcpCheck, HttpCheck, ScriptCheck, MysqlCheck, GaleraCheck, UdpCheck, DnsCheck,
                 PingCheck, SmtpCheck>
        kind;
    std::optional<std::uint16_t> port;
    Duration interval = std::chrono::seconds(2);
    Duration timeout = std::chrono::seconds(1);
    unsigned retries = 0;  // extra attempts, retry_delay apart, before a probe counts as failed
    Duration retry_delay = std::chrono::seconds(1);
    unsigned rise = 1;
    unsigned fall = 1;
    bool initially_up = false;  // a real server is down until its first successful check
    bool operator==(const Check&) const = default;
};

// A health check of a local or remote service that moves the instance's priority
// (e.g. "local mysqld healthy"): failing applies the weight like a track script.
struct TrackCheck {
    std::string name;
    IpAddress address;
    std::uint16_t port = 0;
    int weight = 0;
    Check check;
    bool operator==(const TrackCheck&) const = default;
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
    // Added and removed with the role like vips, never advertised (keepalived's
    // virtual_ipaddress_excluded): peers that list only the vips keep agreeing with us.
    std::vector<Vip> excluded_vips;
    std::vector<IpAddress> unicast_peers;
    // After the interface's link comes back, stay in FAULT until it has been up this long
    // (a flapping carrier does not make the VIP flap with it). Going down is acted on at once.
    Duration link_up_delay{0};
    // A VIP of ours that another program adds while we are not MASTER: removed (default), or
    // only reported (stray_vips: warn) where another tool legitimately manages it.
    bool remove_stray_vips = true;
    Garp garp;
    std::vector<TrackScript> track_scripts;
    std::vector<TrackInterface> track_interfaces;
    std::vector<TrackFile> track_files;
    std::vector<TrackCheck> track_checks;
    std::vector<std::string> notify;  // argv run on every state change
    RunAs notify_as;
    Location location;
    bool operator==(const Instance&) const = default;
    bool ipv6() const { return !vips.empty() && vips.front().address.is_v6(); }
    // Every address the master holds: the advertised ones, then the excluded ones.
    std::vector<Vip> held_vips() const {
        auto all = vips;
        all.insert(all.end(), excluded_vips.begin(), excluded_vips.end());
        return all;
    }
};

enum class Forwarding : std::uint8_t { nat, direct, tunnel };
enum class OnFailure { remove, inhibit };  // inhibit: weight 0, existing connections drain

struct Endpoint {
    IpAddress address;
    std::uint16_t port = 0;
    bool operator==(const Endpoint&) const = default;
};

// keepalived's FILE_CHECK, beside the real server's check: the number written in `path` (a
// missing file, or text that is not a number, reads 0). With weight 0 it is a health verdict:
// non-zero is down (reverse: zero is down). Otherwise number x weight (reverse: negated) is
// added to the real server's weight, which stays at least 0.
struct FileCheck {
    std::string path;
    int weight = 0;
    bool reverse = false;
    bool operator==(const FileCheck&) const = default;
};

struct RealServer {  // ordered to pack: tens of thousands are kept
    IpAddress address;
    std::uint16_t port = 0;
    std::optional<Forwarding> forwarding;  // overrides the virtual server's
    unsigned weight = 1;
    Boxed<Check> check;  // overrides the virtual server's check as a whole
    Boxed<FileCheck> file_check;
    // IPVS overload thresholds (keepalived's uthreshold / lthreshold): no new connections while
    // the active ones are at `upper`, until they fall to `lower` (0: none; lower 0 = 3/4 upper).
    std::uint32_t upper_threshold = 0;
    std::uint32_t lower_threshold = 0;
    bool operator==(const RealServer&) const = default;
};

// A real server by its place in the configuration it was read from:
// virtual_servers[virtual_server].real_servers[real_server]. Health events carry it from the
// checks to the IPVS table instead of names that two formatters would have to agree on; it
// means nothing in another configuration (a reload hands out new ones).
struct RealServerId {
    std::uint32_t virtual_server = 0;
    std::uint32_t real_server = 0;
    auto operator<=>(const RealServerId&) const = default;
};

// Where a virtual server takes traffic: one IPVS service each.
struct Frontend {
    IpAddress address;
    std::uint16_t port = 0;
    std::uint32_t fwmark = 0;  // non-zero: a firewall-mark service (no address)
    bool operator==(const Frontend&) const = default;
};

// An announced virtual server's health with hysteresis: unhealthy when the fraction of its real
// servers that are live falls below `low`, healthy again only at `high`.
struct Watermarks {
    double low = 0;
    double high = 0;
    bool operator==(const Watermarks&) const = default;
};

struct VirtualServer {
    std::string name;  // default "address:port" ("fwmark:N"); a group's is required
    // `address` or `fwmark`: one; a `group` (keepalived's virtual_server_group): several IPVS
    // services sharing these real servers, their checks (one probe per real server) and quorum.
    std::vector<Frontend> frontends;
    std::string protocol = "tcp";  // tcp, udp, sctp
    std::string scheduler = "wlc";
    std::vector<std::string> scheduler_flags;  // "sh-fallback", "sh-port", "mh-fallback", ...
    bool one_packet = false;                   // UDP: schedule every datagram
    Forwarding forwarding = Forwarding::nat;
    Duration persistence{0};                       // 0 = none
    std::optional<IpAddress> persistence_netmask;  // IPv4 services
    std::optional<unsigned> persistence_prefix;    // IPv6 services: 1..128
    std::string persistence_engine;                // "" or "sip" (Call-ID persistence)
    OnFailure on_failure = OnFailure::remove;
    std::optional<Endpoint> sorry_server;  // takes the traffic while quorum is lost
    unsigned quorum = 1;                   // live weight needed
    unsigned quorum_hysteresis = 0;
    std::string vrrp_instance;  // programmed only while this instance is MASTER; empty = always
    // Its addresses are announced by BGP (bgp: section): no VRRP, DR or tunnel forwarding only.
    bool announce = false;
    std::optional<Watermarks> watermarks;  // unset: healthy while one real server is live
    std::optional<Check> check;            // inherited by every real server without its own
    std::vector<RealServer> real_servers;
    // Run (argv) for each real server's check going up or down and each quorum change.
    std::vector<std::string> notify;
    RunAs notify_as;
    bool operator==(const VirtualServer&) const = default;
};

// The IPv4 or IPv6 address `text` is (no brackets, no port), or none.
std::optional<IpAddress> parse_address(std::string_view text);
// "10.0.0.1:80", "[fd00::1]:80": how every part names an endpoint.
std::string endpoint_name(const IpAddress& address, std::uint16_t port);
// The endpoint `text` names in that form (port 1-65535), or none.
std::optional<std::pair<IpAddress, std::uint16_t>> parse_endpoint(std::string_view text);

// A virtual server's first frontend with an address (none: firewall marks only).
const Frontend* address_frontend(const VirtualServer& vs);

// The family of a virtual server's services: its addresses', or with firewall marks only, its
// real servers'.
bool serves_ipv6(const VirtualServer& vs);

// The kernel's connection-sync daemon, master or backup as the instance is.
// Unset (0, none): the kernel's defaults, group 224.0.0.81, port 8848, TTL 1, messages sized
// to the interface's MTU.
struct SyncDaemon {
    std::string interface;
    std::string instance;
    std::uint32_t sync_id = 0;
    std::optional<IpAddress> group;  // multicast, IPv4 or IPv6
    std::uint16_t port = 0;
    std::uint8_t ttl = 0;
    std::uint16_t max_length = 0;  // of a sync message's UDP payload
    bool operator==(const SyncDaemon&) const = default;
};

// The kernel's connection timeouts (per network namespace); 0 = left as the kernel has them.
struct IpvsTimeouts {
    Duration tcp{0}, tcp_fin{0}, udp{0};
    bool operator==(const IpvsTimeouts&) const = default;
};

struct Ipvs {
    std::optional<SyncDaemon> sync_daemon;
    IpvsTimeouts timeouts;
    bool remove_on_stop = false;    // on SIGTERM: false = leave the table (traffic flows on)
    bool remove_unmanaged = false;  // true: services directord did not configure are removed
    bool operator==(const Ipvs&) const = default;
};

// How operators reach the daemon: directorctl's socket and the Prometheus endpoint.
struct Control {
    std::string socket = "/run/directord.sock";  // unix stream socket, mode 0600
    std::optional<Endpoint> metrics;             // http://ADDRESS:PORT/metrics; off unless set
    bool operator==(const Control&) const = default;
};

// How the daemon's event loop competes for the CPU. VRRP timers, checks and IPVS share one
// loop: on a director that also runs other work, a lower nice value keeps adverts on time.
struct Process {
    std::optional<int> nice;  // -20..19; unset: as started
    // Programs run as this user (its group, no supplementary groups); as root only those whose
    // path (argv[0]) is listed in root_programs.
    std::string script_user = "nobody";
    std::vector<std::string> root_programs;
    bool operator==(const Process&) const = default;
};

// The BGP tier: directord writes kernel routes and a routing engine (FRR, BIRD) announces them.
// For each announced address: a `local` route in the local table (delivery, while configured)
// and a blackhole route in main (present = announced), both of protocol `route_protocol`.
enum class RoutingEngine { frr, bird, external };
struct BgpVip {
    IpAddress address;
    std::optional<std::string> down_file;  // exists => withdrawn
    bool require_all = true;               // every virtual server on it healthy; false: one
    bool operator==(const BgpVip&) const = default;
};
struct Bgp {
    RoutingEngine engine = RoutingEngine::frr;
    std::uint8_t route_protocol = 249;
    Duration drain = std::chrono::seconds(3);       // withdrawn route -> VIP or IPVS touched
    Duration hold_down = std::chrono::seconds(10);  // withdraw -> next announce
    std::vector<BgpVip> vips;                       // every announced address, with its settings
    // Read the engine's BGP and BFD sessions for status (empty: the engine's own command, run
    // as root).
    std::vector<std::string> status_command;
    RunAs status_as;
    std::vector<std::string> bfd_command;
    RunAs bfd_as;
    bool operator==(const Bgp&) const = default;
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
    std::vector<VirtualServer> virtual_servers;
    std::optional<Bgp> bgp;
    Ipvs ipvs;
    Control control;
    Process process;
};

}  // namespace directord::config
