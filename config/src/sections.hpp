#pragma once
// The loader's sections, each in its own file, and what they share (internal to config/).
#include <optional>
#include <string>
#include <utility>

#include "reader.hpp"

namespace directord::config::detail {

// The watched file itself may come and go; its directory must exist or no watch can be set.
bool check_watchable(Reader& r, const YAML::Node& node, const std::string& path,
                     const std::string& file);
std::string read_password_file(Reader& r, const YAML::Node& node, const std::string& path);
// "10.0.0.1:80" or "[fd00::1]:80".
std::optional<std::pair<IpAddress, std::uint16_t>> read_endpoint(Reader& r, const YAML::Node& node,
                                                                 const std::string& path);
// A regular expression in RE2 syntax (linear time: it may meet any server's answer).
std::optional<std::string> read_regex(Reader& r, const YAML::Node& node, const std::string& path);
UdpCheck read_udp(Reader& r, const YAML::Node& node, const std::string& path);
DnsCheck read_dns(Reader& r, const YAML::Node& node, const std::string& path);
PingCheck read_ping(Reader& r, const YAML::Node& node, const std::string& path);
std::optional<FileCheck> read_file_check(Reader& r, const YAML::Node& node,
                                         const std::string& path);
std::optional<Check> read_check(Reader& r, const YAML::Node& node, const std::string& path);
// A virtual server's `group`: its services, ranges expanded.
std::vector<Frontend> read_group(Reader& r, const YAML::Node& node, const std::string& path);
bool instance_exists(const Config& cfg, const std::string& name);

void read_track(Reader& r, const YAML::Node& node, const std::string& path, Instance& inst);
void read_vrrp(Reader& r, const YAML::Node& node, Config& cfg);
void read_virtual_servers(Reader& r, const YAML::Node& node, Config& cfg);
void read_bgp(Reader& r, const YAML::Node& node, Config& cfg);
// A virtual server's announce and watermarks, once its real servers are read.
void read_announce(Reader& r, const YAML::Node& v, const std::string& vp, const Config& cfg,
                   VirtualServer& vs);
void settle_bgp_vips(Reader& r, const YAML::Node& node, Config& cfg);
void read_ipvs(Reader& r, const YAML::Node& node, Config& cfg);
void read_control(Reader& r, const YAML::Node& node, Config& cfg);
void read_process(Reader& r, const YAML::Node& root, Config& cfg);

}  // namespace directord::config::detail
