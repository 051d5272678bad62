#include "directord/ipvs/reconcile.hpp"

#include <fmt/format.h>

#include <map>
#include <tuple>

namespace directord::ipvs {
namespace {

struct PlaceLess {
    bool operator()(const Destination* a, const Destination* b) const {
        return std::tie(a->address, a->port) < std::tie(b->address, b->port);
    }
};
using Places = std::map<const Destination*, const Destination*, PlaceLess>;  // -> itself

Places places_of(const VirtualService& vs) {
    Places places;
    for (const auto& d : vs.destinations) places.emplace(&d, &d);
    return places;
}

}  // namespace

bool Change::operator==(const Change& other) const {
    return kind == other.kind && service.key == other.service.key &&
           service.same_settings(other.service) && destination.same_place(other.destination) &&
           destination.same_settings(other.destination);
}

std::string describe(const Change& c) {
    auto where = describe(c.service.key);
    auto what = fmt::format("{} ({}, weight {})", describe(c.destination),
                            forward_name(c.destination.forward), c.destination.weight);
    switch (c.kind) {
        case Change::Kind::add_service:
            return fmt::format("add service {} ({})", where, c.service.scheduler);
        case Change::Kind::update_service:
            return fmt::format("update service {} ({})", where, c.service.scheduler);
        case Change::Kind::delete_service:
            return fmt::format("delete service {}", where);
        case Change::Kind::add_destination:
            return fmt::format("add destination {} to {}", what, where);
        case Change::Kind::update_destination:
            return fmt::format("update destination {} of {}", what, where);
        case Change::Kind::delete_destination:
            return fmt::format("delete destination {} from {}", describe(c.destination), where);
    }
    return "?";
}

std::vector<Change> reconcile(const Table& desired, const Table& actual, const Managed& managed) {
    Present present;
    for (const auto& vs : actual) present.emplace(vs.service.key, &vs);
    return reconcile(desired, present, managed);
}

std::vector<Change> reconcile(const Table& desired, const Present& present,
                              const Managed& managed) {
    std::map<ServiceKey, const VirtualService*> wanted;
    for (const auto& vs : desired) wanted.emplace(vs.service.key, &vs);

    using Kind = Change::Kind;
    std::vector<Change> services, additions, removals, gone;
    for (const auto& [key, want] : wanted) {
        auto it = present.find(key);
        const VirtualService* have = it == present.end() ? nullptr : it->second;
        if (!have) {
            services.push_back({Kind::add_service, want->service, {}});
        } else if (!have->service.same_settings(want->service)) {
            services.push_back({Kind::update_service, want->service, {}});
        }
        Places existing = have ? places_of(*have) : Places{};
        for (const auto& d : want->destinations) {
            auto found = existing.find(&d);
            if (found == existing.end()) {
                additions.push_back({Kind::add_destination, want->service, d});
            } else {
                if (!found->second->same_settings(d))
                    additions.push_back({Kind::update_destination, want->service, d});
                existing.erase(found);
            }
        }
        for (const auto& [d, same] : existing)
            removals.push_back({Kind::delete_destination, want->service, *d});
    }
    for (const auto& [key, have] : present)
        if (!wanted.contains(key) && managed(key))
            gone.push_back({Kind::delete_service, have->service, {}});

    std::vector<Change> changes = std::move(services);
    changes.insert(changes.end(), additions.begin(), additions.end());
    changes.insert(changes.end(), removals.begin(), removals.end());
    changes.insert(changes.end(), gone.begin(), gone.end());
    return changes;
}

}  // namespace directord::ipvs
