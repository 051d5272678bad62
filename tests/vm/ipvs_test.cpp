// The IPVS client against a real kernel (run inside the VM by tests/vm/ipvs.sh): every
// attribute written is read back identical and as ipvsadm shows it, refusals are typed
// errors naming their object, reconcile adopts and converges, a table read in steps is
// whole, and a 1 % change of a 50,000-destination table touches 1 % of it.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <memory>

#include "directord/ipvs/client.hpp"
#include "directord/ipvs/table_reader.hpp"

using namespace directord::ipvs;

namespace {

Address ip(const std::string& text) { return boost::asio::ip::make_address(text); }
const Managed kAll = [](const ServiceKey&) { return true; };

std::string run(const std::string& command) {
    std::string out;
    std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
    std::array<char, 4096> buffer;
    while (pipe && fgets(buffer.data(), buffer.size(), pipe.get())) out += buffer.data();
    return out;
}

std::string squeeze(const std::string& text) {
    std::string out;
    for (char c : text)
        if (c != ' ' || out.empty() || out.back() != ' ') out += c;
    return out;
}

VirtualService tcp_service(const std::string& address, std::uint16_t port, std::string scheduler) {
    VirtualService vs;
    vs.service.key = ServiceKey{2, 6, ip(address), port, 0};
    vs.service.scheduler = std::move(scheduler);
    return vs;
}

Destination destination(const std::string& address, std::uint16_t port, Forward forward,
                        std::uint32_t weight) {
    Destination d;
    d.address = ip(address);
    d.port = port;
    d.forward = forward;
    d.weight = weight;
    return d;
}

void converge(Client& ipvs, const Table& want) { ipvs.apply(reconcile(want, ipvs.read(), kAll)); }

class Ipvs : public ::testing::Test {
  protected:
    void SetUp() override { ipvs.flush(); }
    void TearDown() override { ipvs.flush(); }
    Client ipvs;
};

}  // namespace

TEST_F(Ipvs, InfoAnswers) {
    auto info = ipvs.info();
    EXPECT_GE(info.version, 0x010200u);
    EXPECT_GT(info.connection_table_size, 0u);
}

TEST_F(Ipvs, EveryAttributeRoundTrips) {
    Table want;
    const char* schedulers[] = {"rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh",
                                "sh", "sed", "nq", "mh",  "fo",   "ovf"};
    std::uint16_t port = 1000;
    for (const char* s : schedulers) {
        auto vs = tcp_service("10.1.0.1", port++, s);
        vs.destinations = {destination("10.2.0.1", 80, Forward::nat, 3),
                           destination("10.2.0.2", 8080, Forward::direct, 0)};
        want.push_back(vs);
    }
    auto persistent = tcp_service("10.1.0.2", 443, "wlc");
    persistent.service.flags = kPersistent;
    persistent.service.timeout = 300;
    persistent.service.netmask = 0xffffff00;
    auto tunnel = destination("10.2.0.3", 443, Forward::tunnel, 7);
    tunnel.upper_threshold = 100;
    tunnel.lower_threshold = 10;
    persistent.destinations = {tunnel};
    want.push_back(persistent);
    auto hashed = tcp_service("10.1.0.3", 80, "sh");
    hashed.service.flags = kSchedulerFlag1 | kSchedulerFlag2;  // sh-fallback, sh-port
    hashed.destinations = {destination("10.2.0.4", 80, Forward::direct, 1)};
    want.push_back(hashed);
    auto udp = tcp_service("10.1.0.4", 53, "rr");
    udp.service.key.protocol = 17;
    udp.service.flags = kOnePacket;
    udp.destinations = {destination("10.2.0.5", 53, Forward::nat, 1)};
    want.push_back(udp);
    VirtualService mark;
    mark.service.key = ServiceKey{2, 0, {}, 0, 42};
    mark.service.scheduler = "wrr";
    mark.destinations = {destination("10.2.0.6", 0, Forward::direct, 2)};
    want.push_back(mark);
    auto v6 = tcp_service("2001:db8::1", 80, "lc");
    v6.service.key.family = 10;
    v6.service.netmask = 128;
    v6.destinations = {destination("2001:db8::2", 80, Forward::nat, 5)};
    want.push_back(v6);
    auto sctp = tcp_service("10.1.0.5", 2905, "rr");
    sctp.service.key.protocol = 132;
    sctp.destinations = {destination("10.2.0.7", 2905, Forward::nat, 1)};
    want.push_back(sctp);
    auto sip = tcp_service("10.1.0.6", 5060, "rr");  // Call-ID persistence
    sip.service.key.protocol = 17;
    sip.service.flags = kPersistent;
    sip.service.timeout = 60;
    sip.service.persistence_engine = "sip";
    sip.destinations = {destination("10.2.0.8", 5060, Forward::nat, 1)};
    want.push_back(sip);
    auto v6_prefix = tcp_service("2001:db8::3", 443, "wlc");
    v6_prefix.service.key.family = 10;
    v6_prefix.service.flags = kPersistent;
    v6_prefix.service.timeout = 120;
    v6_prefix.service.netmask = 64;
    v6_prefix.destinations = {destination("2001:db8::4", 443, Forward::nat, 1)};
    want.push_back(v6_prefix);

    ipvs.apply(reconcile(want, ipvs.read(), kAll));
    auto got = ipvs.read();
    EXPECT_EQ(got.size(), want.size());
    EXPECT_TRUE(reconcile(want, got, kAll).empty()) << "read back differs";
    for (const auto& vs : want) {
        auto it = std::find_if(got.begin(), got.end(), [&](const VirtualService& g) {
            return g.service.key == vs.service.key;
        });
        ASSERT_NE(it, got.end()) << describe(vs.service.key);
        EXPECT_EQ(it->service.scheduler, vs.service.scheduler);
        EXPECT_EQ(it->service.flags & kSettableFlags, vs.service.flags);
        EXPECT_EQ(it->service.timeout, vs.service.timeout);
        EXPECT_EQ(it->service.netmask, vs.service.netmask);
        EXPECT_EQ(it->service.persistence_engine, vs.service.persistence_engine);
        ASSERT_EQ(it->destinations.size(), vs.destinations.size());
    }
    // ... and as ipvsadm sees it (runs of spaces squeezed).
    auto listing = squeeze(run("ipvsadm -Ln"));
    for (const char* line :
         {"TCP 10.1.0.1:1000 rr", "TCP 10.1.0.1:1012 ovf", "-> 10.2.0.1:80 Masq 3 ",
          "-> 10.2.0.2:8080 Route 0 ", "TCP 10.1.0.2:443 wlc persistent 300 mask 255.255.255.0",
          "-> 10.2.0.3:443 Tunnel 7 ", "TCP 10.1.0.3:80 sh (sh-fallback,sh-port)",
          "UDP 10.1.0.4:53 rr ops", "FWM 42 wrr", "TCP [2001:db8::1]:80 lc",
          "-> [2001:db8::2]:80 Masq 5 ", "SCTP 10.1.0.5:2905 rr",
          "UDP 10.1.0.6:5060 rr persistent 60 pe sip",
          "TCP [2001:db8::3]:443 wlc persistent 120 mask 64"})
        EXPECT_NE(listing.find(line), std::string::npos) << "ipvsadm -Ln lacks: " << line << "\n"
                                                         << listing;
}

TEST_F(Ipvs, RefusalsAreTypedErrorsNamingTheObject) {
    auto ghost = tcp_service("10.9.9.9", 80, "rr");
    try {
        ipvs.apply(std::vector<Change>{{Change::Kind::delete_service, ghost.service, {}}});
        FAIL() << "deleting a missing service succeeded";
    } catch (const IpvsError& e) {
        EXPECT_EQ(e.error(), ESRCH);
        EXPECT_NE(std::string(e.what()).find("delete service TCP 10.9.9.9:80"), std::string::npos)
            << e.what();
    }
    auto bad = tcp_service("10.9.9.8", 80, "nosuch");
    try {
        ipvs.apply(std::vector<Change>{{Change::Kind::add_service, bad.service, {}}});
        FAIL() << "an unknown scheduler was accepted";
    } catch (const IpvsError& e) {
        EXPECT_EQ(e.error(), ENOENT);
        EXPECT_NE(std::string(e.what()).find("add service TCP 10.9.9.8:80 (nosuch)"),
                  std::string::npos)
            << e.what();
    }
}

// Inside a batch only refusals are answered: one in the middle is still reported, by name.
TEST_F(Ipvs, ARefusalInsideABatchIsReportedAndTheRestApplied) {
    auto a = tcp_service("10.1.0.1", 1, "rr"), ghost = tcp_service("10.9.9.9", 2, "rr"),
         c = tcp_service("10.1.0.1", 3, "rr");
    std::vector<Change> batch{{Change::Kind::add_service, a.service, {}},
                              {Change::Kind::delete_service, ghost.service, {}},
                              {Change::Kind::add_service, c.service, {}}};
    try {
        ipvs.apply(batch);
        FAIL() << "the refusal went unnoticed";
    } catch (const IpvsError& e) {
        EXPECT_EQ(e.error(), ESRCH);
        EXPECT_NE(std::string(e.what()).find("delete service TCP 10.9.9.9:2"), std::string::npos)
            << e.what();
    }
    EXPECT_EQ(ipvs.read().size(), 2u);
}

TEST_F(Ipvs, AdoptsAMatchingTableAndConvergesOnce) {
    run("ipvsadm -A -t 10.1.0.1:80 -s wrr && ipvsadm -a -t 10.1.0.1:80 -r 10.2.0.1:80 -m -w 2 && "
        "ipvsadm -a -t 10.1.0.1:80 -r 10.2.0.2:80 -g -w 1");
    auto vs = tcp_service("10.1.0.1", 80, "wrr");
    vs.destinations = {destination("10.2.0.1", 80, Forward::nat, 2),
                       destination("10.2.0.2", 80, Forward::direct, 1)};
    Table want{vs};
    EXPECT_TRUE(reconcile(want, ipvs.read(), kAll).empty()) << "a matching table is adopted as is";
    want[0].destinations[1].weight = 0;
    want[0].destinations.push_back(destination("10.2.0.3", 80, Forward::nat, 1));
    auto changes = reconcile(want, ipvs.read(), kAll);
    EXPECT_EQ(changes.size(), 2u);
    ipvs.apply(changes);
    EXPECT_TRUE(reconcile(want, ipvs.read(), kAll).empty());
}

TEST_F(Ipvs, SyncDaemonAndTimeouts) {
    ASSERT_EQ(std::system("ip link add sync0 type dummy && ip link set sync0 up"), 0);
    SyncDaemon plain;
    plain.interface = "sync0";
    plain.sync_id = 7;
    ipvs.start_sync_daemon(plain);
    auto daemons = ipvs.sync_daemons();
    ASSERT_EQ(daemons.size(), 1u);
    EXPECT_TRUE(plain.is(daemons[0])) << describe(daemons[0]);
    // The kernel tells the defaults it chose; a daemon left to them still matches.
    EXPECT_EQ(daemons[0].group, ip("224.0.0.81"));
    EXPECT_EQ(daemons[0].port, 8848);
    EXPECT_EQ(daemons[0].ttl, 1);
    EXPECT_NE(run("ipvsadm -L --daemon").find("master sync daemon (mcast=sync0, syncid=7"),
              std::string::npos);
    ipvs.stop_sync_daemon(SyncDaemon::Role::master);
    EXPECT_TRUE(ipvs.sync_daemons().empty());

    SyncDaemon tuned{SyncDaemon::Role::backup, "sync0", 9, ip("239.1.2.3"), 8900, 3, 1200};
    ipvs.start_sync_daemon(tuned);
    daemons = ipvs.sync_daemons();
    ASSERT_EQ(daemons.size(), 1u);
    EXPECT_EQ(daemons[0], tuned) << describe(daemons[0]);
    EXPECT_FALSE(plain.is(daemons[0]));
    auto listing = run("ipvsadm -L --daemon");
    EXPECT_NE(listing.find("backup sync daemon (mcast=sync0, syncid=9"), std::string::npos)
        << listing;
    ipvs.stop_sync_daemon(SyncDaemon::Role::backup);

    ipvs.set_timeouts(Timeouts{900, 60, 200});
    EXPECT_EQ(ipvs.timeouts(), (Timeouts{900, 60, 200}));
}

// A service of 3,000 destinations between two small ones, read a datagram per step (as the
// programmer's loop does at start-up): every part of every dump is taken, in many steps.
// (Before the 50,000: the destinations it removes stay in the kernel's trash a while, and
// every add searches it.)
TEST_F(Ipvs, TheTableReadInStepsIsTheWholeTable) {
    Table want{tcp_service("10.1.0.1", 80, "rr"), tcp_service("10.1.0.2", 80, "wlc"),
               tcp_service("10.1.0.3", 80, "wrr")};
    for (int d = 0; d < 3000; ++d)
        want[1].destinations.push_back(
            destination("10.4." + std::to_string(d / 250) + "." + std::to_string(d % 250 + 1), 80,
                        Forward::nat, 1));
    want[2].destinations.push_back(destination("10.5.0.1", 80, Forward::direct, 3));
    converge(ipvs, want);

    TableReader reader(ipvs.family());
    auto read = reader.read_all(std::chrono::steady_clock::duration::zero());
    EXPECT_GT(reader.steps(), 10u) << "3,000 destinations came in a few datagrams";
    EXPECT_LT(reader.steps(), 10000u);
    ASSERT_EQ(read.size(), 3u);
    EXPECT_TRUE(reconcile(want, read, kAll).empty()) << "read in steps differs";
    EXPECT_EQ(
        read[0].destinations.size() + read[1].destinations.size() + read[2].destinations.size(),
        3001u);
}

TEST_F(Ipvs, OnePercentChangeOfFiftyThousandDestinationsTouchesOnePercent) {
    Table want;
    for (int s = 0; s < 5000; ++s) {
        auto vs = tcp_service("10.1.0.1", static_cast<std::uint16_t>(10000 + s), "wlc");
        for (int d = 0; d < 10; ++d)
            vs.destinations.push_back(
                destination("10.3." + std::to_string(d) + "." + std::to_string(s % 250 + 1),
                            static_cast<std::uint16_t>(8000 + s / 250), Forward::nat, 1));
        want.push_back(vs);
    }
    converge(ipvs, want);
    auto programmed = ipvs.read();
    ASSERT_EQ(programmed.size(), 5000u);
    EXPECT_TRUE(reconcile(want, programmed, kAll).empty());

    // 1 %: 500 destinations change weight in 500 services.
    for (int s = 0; s < 5000; s += 10) want[static_cast<std::size_t>(s)].destinations[0].weight = 5;
    auto changes = reconcile(want, programmed, kAll);
    EXPECT_EQ(changes.size(), 500u);
    for (const auto& c : changes) EXPECT_EQ(c.kind, Change::Kind::update_destination);
    ipvs.apply(changes);
    EXPECT_TRUE(reconcile(want, ipvs.read(), kAll).empty());
}
