#include "directord/ipvs/reconcile.hpp"

#include <fmt/format.h>

#include <algorithm>
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

// An ordered service's destinations are in the kernel as it lists them after adding `want`'s
// in order: the same places, newest first.
bool in_order(const VirtualService& want, const VirtualService& have) {
    return std::equal(want.destinations.rbegin(), want.destinations.rend(),
                      have.destinations.begin(), have.destinations.end(),
                      [](const Destination& a, const Destination& b) { return a.same_place(b); });
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
    StepwiseReconcile whole(desired, present, managed);
    whole.step(desired.size());
    return std::move(whole.changes());
}

StepwiseReconcile::StepwiseReconcile(const Table& desired, const Present& actual, Managed managed)
    : desired_(desired), actual_(actual), managed_(std::move(managed)) {}

bool StepwiseReconcile::step(std::size_t services) {
    using Kind = Change::Kind;
    if (done_) return true;
    for (auto end = std::min(desired_.size(), next_ + services); next_ < end; ++next_) {
        const VirtualService& want = desired_[next_];
        auto it = actual_.find(want.service.key);
        const VirtualService* have = it == actual_.end() ? nullptr : it->second;
        if (!have) {
            changes_.push_back({Kind::add_service, want.service, {}});
        } else {
            kept_.insert(want.service.key);
            if (!have->service.same_settings(want.service))
                changes_.push_back({Kind::update_service, want.service, {}});
        }
        if (have && want.service.ordered && !in_order(want, *have)) {
            // Rebuilt in order (connections keep their real servers: a deleted destination
            // waits in the kernel's trash and is taken back when added again).
            for (const auto& d : have->destinations)
                changes_.push_back({Kind::delete_destination, want.service, d});
            have = nullptr;
        }
        Places existing = have ? places_of(*have) : Places{};
        for (const auto& d : want.destinations) {
            auto found = existing.find(&d);
            if (found == existing.end()) {
                changes_.push_back({Kind::add_destination, want.service, d});
            } else {
                if (!found->second->same_settings(d))
                    changes_.push_back({Kind::update_destination, want.service, d});
                existing.erase(found);
            }
        }
        for (const auto& [d, same] : existing)
            changes_.push_back({Kind::delete_destination, want.service, *d});
    }
    if (next_ < desired_.size()) return false;
    for (const auto& [key, have] : actual_)
        if (!kept_.contains(key) && managed_(key))
            changes_.push_back({Kind::delete_service, have->service, {}});
    done_ = true;
    return true;
}

}  // namespace directord::ipvs
