#pragma once
// The pure reconcile step: what to change in the kernel's IPVS table so that it becomes the
// desired one. No I/O: the programmer applies the result, the tests check it exhaustively.
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "directord/ipvs/table.hpp"

namespace directord::ipvs {

struct Change {
    enum class Kind {
        add_service,
        update_service,
        add_destination,
        update_destination,
        delete_destination,
        delete_service,
    };
    Kind kind;
    Service service;          // for destination changes: the service they belong to
    Destination destination;  // destination changes only
    bool operator==(const Change& other) const;
};

// "add destination 10.0.0.2:80 to TCP 10.0.0.1:80 (nat, weight 1)".
std::string describe(const Change& change);

// Whether a service found in the kernel is directord's to change or remove.
using Managed = std::function<bool(const ServiceKey&)>;

// The changes that turn `actual` into `desired`, ordered so that a service never has fewer
// destinations on the way than at either end: for each desired service in turn, the service
// added or updated, then its destinations added and updated, then its destinations removed;
// then services removed. A service of `actual` that is not desired is removed only if
// `managed` says it is ours; every destination of a desired service is ours. Applying the
// result to `actual` gives `desired`; reconciling equal tables gives nothing. An ordered service
// whose destinations are not the desired places in order (newest first, as the kernel lists
// them) has them all deleted, then added in order.
std::vector<Change> reconcile(const Table& desired, const Table& actual, const Managed& managed);
// The same, with the services of `actual` given by key: the part of the kernel's table that is
// compared (all of it, or only the services concerned by an update).
using Present = std::map<ServiceKey, const VirtualService*>;
std::vector<Change> reconcile(const Table& desired, const Present& actual, const Managed& managed);

// The same work in steps, for tables too large for one turn of the event loop. `desired` and
// `actual` must outlive it and stay unchanged.
class StepwiseReconcile {
  public:
    StepwiseReconcile(const Table& desired, const Present& actual, Managed managed);
    // Compares up to `services` more desired services (then the services to remove); true
    // once everything is compared.
    bool step(std::size_t services);
    // The changes found so far; all of them once step() returned true.
    std::vector<Change>& changes() { return changes_; }

  private:
    const Table& desired_;
    const Present& actual_;
    Managed managed_;
    std::size_t next_ = 0;
    std::set<ServiceKey> kept_;  // services of `actual` that are desired
    std::vector<Change> changes_;
    bool done_ = false;
};

}  // namespace directord::ipvs
