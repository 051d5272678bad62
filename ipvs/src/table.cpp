#include "directord/ipvs/table.hpp"

#include <fmt/format.h>

#include <tuple>

#include "directord/config/model.hpp"

namespace directord::ipvs {
bool ServiceKey::operator<(const ServiceKey& other) const {
    return std::tie(family, fwmark, protocol, address, port) <
           std::tie(other.family, other.fwmark, other.protocol, other.address, other.port);
}

TableByKey by_key(Table table) {
    TableByKey indexed;
    for (auto& vs : table) {
        auto key = vs.service.key;
        indexed.emplace(key, std::move(vs));
    }
    return indexed;
}

const Destination* find_destination(const TableByKey& table, const ServiceKey& key,
                                    const Destination& place) {
    auto vs = table.find(key);
    if (vs == table.end()) return nullptr;
    for (const auto& d : vs->second.destinations)
        if (d.same_place(place)) return &d;
    return nullptr;
}

bool Service::same_settings(const Service& other) const {
    return scheduler == other.scheduler &&
           (flags & kSettableFlags) == (other.flags & kSettableFlags) && timeout == other.timeout &&
           netmask == other.netmask && persistence_engine == other.persistence_engine;
}

std::string describe(const ServiceKey& key) {
    if (key.fwmark) return fmt::format("FWM {}{}", key.fwmark, key.family == 10 ? " IPv6" : "");
    std::string_view protocol = key.protocol == 6 ? "TCP" : key.protocol == 17 ? "UDP" : "SCTP";
    return fmt::format("{} {}", protocol, config::endpoint_name(key.address, key.port));
}

std::string describe(const Destination& destination) {
    return config::endpoint_name(destination.address, destination.port);
}

std::string_view forward_name(Forward forward) {
    switch (forward) {
        case Forward::nat:
            return "nat";
        case Forward::local:
            return "local";
        case Forward::tunnel:
            return "tunnel";
        case Forward::direct:
            return "direct";
    }
    return "?";
}

}  // namespace directord::ipvs
