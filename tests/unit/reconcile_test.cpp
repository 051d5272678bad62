// The reconcile step against a model of the kernel's table: every change list must be valid
// in order (nothing added twice, nothing changed that is missing) and turn the actual table
// into the desired one; reconciling the result again must give nothing.
#include "directord/ipvs/reconcile.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>

using namespace directord::ipvs;
using Kind = Change::Kind;

namespace {

Address ip(const char* text) { return boost::asio::ip::make_address(text); }

ServiceKey tcp(const char* address, std::uint16_t port) {
    return ServiceKey{2, 6, ip(address), port, 0};
}

VirtualService service(ServiceKey key, std::vector<Destination> destinations,
                       std::string scheduler = "wlc") {
    Service s;
    s.key = key;
    s.scheduler = std::move(scheduler);
    return VirtualService{s, std::move(destinations)};
}

Destination rs(const char* address, std::uint16_t port, std::uint32_t weight = 1,
               Forward forward = Forward::nat) {
    Destination d;
    d.address = ip(address);
    d.port = port;
    d.weight = weight;
    d.forward = forward;
    return d;
}

const Managed kAll = [](const ServiceKey&) { return true; };
const Managed kNone = [](const ServiceKey&) { return false; };

// The kernel, as far as the reconcile step is concerned; refuses what the kernel refuses.
Table kernel_after(Table table, const std::vector<Change>& changes) {
    auto find = [&](const ServiceKey& key) {
        return std::find_if(table.begin(), table.end(),
                            [&](const VirtualService& vs) { return vs.service.key == key; });
    };
    for (const auto& c : changes) {
        auto vs = find(c.service.key);
        SCOPED_TRACE(describe(c));
        if (c.kind == Kind::add_service) {
            EXPECT_EQ(vs, table.end()) << "service exists";
            table.push_back(VirtualService{c.service, {}});
            continue;
        }
        EXPECT_NE(vs, table.end()) << "no such service";
        if (vs == table.end()) continue;
        auto& ds = vs->destinations;
        auto d = std::find_if(ds.begin(), ds.end(),
                              [&](const Destination& x) { return x.same_place(c.destination); });
        switch (c.kind) {
            case Kind::update_service:
                vs->service = c.service;
                break;
            case Kind::delete_service:
                table.erase(vs);
                break;
            case Kind::add_destination:
                EXPECT_EQ(d, ds.end()) << "destination exists";
                ds.insert(ds.begin(), c.destination);  // the kernel lists the newest first
                break;
            case Kind::update_destination:
                EXPECT_NE(d, ds.end()) << "no such destination";
                if (d != ds.end()) *d = c.destination;
                break;
            case Kind::delete_destination:
                EXPECT_NE(d, ds.end()) << "no such destination";
                if (d != ds.end()) ds.erase(d);
                break;
            default:
                break;
        }
    }
    return table;
}

// Order-insensitive comparison of two tables' settings.
void expect_same(const Table& a, const Table& b) {
    ASSERT_EQ(a.size(), b.size());
    for (const auto& vs : a) {
        auto other = std::find_if(b.begin(), b.end(), [&](const VirtualService& x) {
            return x.service.key == vs.service.key;
        });
        ASSERT_NE(other, b.end()) << describe(vs.service.key);
        EXPECT_TRUE(vs.service.same_settings(other->service)) << describe(vs.service.key);
        ASSERT_EQ(vs.destinations.size(), other->destinations.size());
        for (const auto& d : vs.destinations) {
            auto o = std::find_if(other->destinations.begin(), other->destinations.end(),
                                  [&](const Destination& x) { return x.same_place(d); });
            ASSERT_NE(o, other->destinations.end()) << describe(d);
            EXPECT_TRUE(d.same_settings(*o)) << describe(d);
        }
    }
}

}  // namespace

TEST(Reconcile, EqualTablesNeedNothing) {
    Table t{service(tcp("10.0.0.1", 80), {rs("10.0.1.1", 80), rs("10.0.1.2", 80, 3)})};
    EXPECT_TRUE(reconcile(t, t, kAll).empty());
}

TEST(Reconcile, FromEmptyAddsServiceBeforeItsDestinations) {
    Table want{service(tcp("10.0.0.1", 80), {rs("10.0.1.1", 80), rs("10.0.1.2", 80)})};
    auto changes = reconcile(want, Table{}, kAll);
    ASSERT_EQ(changes.size(), 3u);
    EXPECT_EQ(changes[0].kind, Kind::add_service);
    EXPECT_EQ(changes[1].kind, Kind::add_destination);
    EXPECT_EQ(changes[2].kind, Kind::add_destination);
    expect_same(kernel_after({}, changes), want);
}

TEST(Reconcile, WeightChangeIsOneUpdateAndTheRestIsUntouched) {
    Table have{service(tcp("10.0.0.1", 80), {rs("10.0.1.1", 80), rs("10.0.1.2", 80)})};
    Table want{service(tcp("10.0.0.1", 80), {rs("10.0.1.1", 80), rs("10.0.1.2", 80, 0)})};
    auto changes = reconcile(want, have, kAll);
    ASSERT_EQ(changes.size(), 1u);
    EXPECT_EQ(changes[0].kind, Kind::update_destination);
    EXPECT_EQ(describe(changes[0]),
              "update destination 10.0.1.2:80 (nat, weight 0) of TCP 10.0.0.1:80");
}

TEST(Reconcile, AddsBeforeRemovesSoAServiceNeverRunsEmpty) {
    Table have{service(tcp("10.0.0.1", 80), {rs("10.0.1.1", 80)})};
    Table want{service(tcp("10.0.0.1", 80), {rs("10.0.1.2", 80)}, "rr")};
    auto changes = reconcile(want, have, kAll);
    ASSERT_EQ(changes.size(), 3u);
    EXPECT_EQ(changes[0].kind, Kind::update_service);
    EXPECT_EQ(changes[1].kind, Kind::add_destination);
    EXPECT_EQ(changes[2].kind, Kind::delete_destination);
    EXPECT_EQ(describe(changes[2]), "delete destination 10.0.1.1:80 from TCP 10.0.0.1:80");
}

TEST(Reconcile, ServicesNotOursAreLeftAlone) {
    Table have{service(tcp("10.0.0.1", 80), {rs("10.0.1.1", 80)}),
               service(tcp("10.0.0.9", 22), {rs("10.0.1.9", 22)})};
    Table want{service(tcp("10.0.0.1", 80), {rs("10.0.1.1", 80)})};
    EXPECT_TRUE(reconcile(want, have, kNone).empty());
    auto mine = [](const ServiceKey& k) { return k.port == 22; };
    auto changes = reconcile(want, have, mine);
    ASSERT_EQ(changes.size(), 1u);
    EXPECT_EQ(changes[0].kind, Kind::delete_service);
    EXPECT_EQ(describe(changes[0]), "delete service TCP 10.0.0.9:22");
}

TEST(Reconcile, ForwardingMethodPersistenceAndFwmarkAreSettings) {
    Table have{service(tcp("10.0.0.1", 80), {rs("10.0.1.1", 80)})};
    Table want = have;
    want[0].destinations[0].forward = Forward::direct;
    want[0].service.flags = kPersistent;
    want[0].service.timeout = 300;
    auto changes = reconcile(want, have, kAll);
    ASSERT_EQ(changes.size(), 2u);
    EXPECT_EQ(changes[0].kind, Kind::update_service);
    EXPECT_EQ(changes[1].kind, Kind::update_destination);
    // The kernel's own flags (hashed, 0x2) read back are not a difference.
    Table read_back = want;
    read_back[0].service.flags |= 0x2;
    EXPECT_TRUE(reconcile(want, read_back, kAll).empty());
    Table marks{service(ServiceKey{2, 0, {}, 0, 42}, {rs("10.0.1.1", 0)})};
    EXPECT_EQ(describe(marks[0].service.key), "FWM 42");
    EXPECT_EQ(reconcile(marks, have, kAll).size(), 3u);  // add mark + its destination, drop TCP
}

TEST(Reconcile, RandomTablesConvergeInOneStep) {
    std::mt19937 random(7);
    auto random_table = [&] {
        Table t;
        std::set<int> ports;
        int services = std::uniform_int_distribution<int>(0, 6)(random);
        for (int i = 0; i < services; ++i)
            ports.insert(std::uniform_int_distribution<int>(1, 8)(random));
        for (int port : ports) {
            std::vector<Destination> ds;
            std::set<int> hosts;
            int count = std::uniform_int_distribution<int>(0, 6)(random);
            for (int j = 0; j < count; ++j)
                hosts.insert(std::uniform_int_distribution<int>(1, 9)(random));
            for (int h : hosts) {
                auto d = rs(("10.0.1." + std::to_string(h)).c_str(), 80,
                            std::uniform_int_distribution<std::uint32_t>(0, 3)(random),
                            std::uniform_int_distribution<int>(0, 1)(random) ? Forward::nat
                                                                             : Forward::direct);
                ds.push_back(d);
            }
            t.push_back(service(tcp("10.0.0.1", static_cast<std::uint16_t>(port)), ds,
                                std::uniform_int_distribution<int>(0, 1)(random) ? "rr" : "wlc"));
        }
        return t;
    };
    for (int round = 0; round < 500; ++round) {
        Table have = random_table(), want = random_table();
        auto changes = reconcile(want, have, kAll);
        Table after = kernel_after(have, changes);
        expect_same(after, want);
        EXPECT_TRUE(reconcile(want, after, kAll).empty());

        // One service per step (as the programmer does between turns of the loop): the same.
        Present present;
        for (const auto& vs : have) present.emplace(vs.service.key, &vs);
        StepwiseReconcile stepwise(want, present, kAll);
        std::size_t steps = 1;
        while (!stepwise.step(1)) ++steps;
        EXPECT_EQ(stepwise.changes(), changes);
        EXPECT_EQ(steps, std::max<std::size_t>(want.size(), 1));
        if (HasFailure()) FAIL() << "round " << round;
    }
}

// Announced services (BGP tier): the same destinations in the same order on every director,
// whatever order the kernel has them in now.
TEST(Reconcile, AnOrderedServiceIsRebuiltInOrderOnlyWhenItsOrderIsWrong) {
    auto want = service(tcp("192.0.2.10", 80),
                        {rs("10.1.0.1", 80), rs("10.1.0.2", 80, 0), rs("10.1.0.3", 80)}, "mh");
    want.service.ordered = true;
    auto places = [](const Table& t) {
        std::vector<std::string> out;
        for (const auto& d : t.front().destinations) out.push_back(describe(d));
        return out;
    };
    const std::vector<std::string> newest_first{"10.1.0.3:80", "10.1.0.2:80", "10.1.0.1:80"};
    // A reload added 10.1.0.2: the kernel would put it first, and this director's table would
    // differ from a director that started with all three.
    Table actual{service(tcp("192.0.2.10", 80), {rs("10.1.0.3", 80), rs("10.1.0.1", 80)}, "mh")};
    auto changes = reconcile({want}, actual, kAll);
    auto after = kernel_after(actual, changes);
    EXPECT_EQ(places(after), newest_first);
    EXPECT_EQ(changes.size(), 5u);  // 2 deleted, 3 added
    EXPECT_TRUE(reconcile({want}, after, kAll).empty());
    // In order: a weight is only updated.
    after.front().destinations[0].weight = 0;
    changes = reconcile({want}, after, kAll);
    ASSERT_EQ(changes.size(), 1u);
    EXPECT_EQ(changes[0].kind, Kind::update_destination);
    // A new service gets them in order.
    EXPECT_EQ(places(kernel_after({}, reconcile({want}, Table{}, kAll))), newest_first);
}
