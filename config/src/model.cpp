#include "directord/config/model.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

namespace directord::config {

std::optional<IpAddress> parse_address(std::string_view text) {
    boost::system::error_code not_an_address;
    auto address = boost::asio::ip::make_address(std::string(text), not_an_address);
    if (not_an_address) return std::nullopt;
    return address;
}

std::string endpoint_name(const IpAddress& address, std::uint16_t port) {
    return address.is_v6() ? fmt::format("[{}]:{}", address.to_string(), port)
                           : fmt::format("{}:{}", address.to_string(), port);
}

std::optional<std::pair<IpAddress, std::uint16_t>> parse_endpoint(std::string_view text) {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    auto host = text.substr(0, colon);
    bool bracketed = host.size() > 2 && host.front() == '[' && host.back() == ']';
    if (bracketed) host = host.substr(1, host.size() - 2);
    auto address = parse_address(host);
    int port = -1;
    auto digits = text.substr(colon + 1);
    auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
    if (!address || error != std::errc{} || end != digits.data() + digits.size() || port < 1 ||
        port > 65535 || address->is_v6() != bracketed)
        return std::nullopt;
    return std::make_pair(*address, static_cast<std::uint16_t>(port));
}

const Frontend* address_frontend(const VirtualServer& vs) {
    auto f = std::find_if(vs.frontends.begin(), vs.frontends.end(),
                          [](const Frontend& f) { return !f.fwmark; });
    return f == vs.frontends.end() ? nullptr : &*f;
}

bool serves_ipv6(const VirtualServer& vs) {
    if (const auto* f = address_frontend(vs)) return f->address.is_v6();
    return !vs.real_servers.empty() && vs.real_servers.front().address.is_v6();
}

}  // namespace directord::config
