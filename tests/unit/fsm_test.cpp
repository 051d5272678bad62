// State machine scenarios on a fake clock.
#include "directord/vrrp/fsm.hpp"

#include <gtest/gtest.h>

using namespace directord::vrrp;
using namespace std::chrono_literals;
namespace ip = boost::asio::ip;

namespace {

const auto kSelf = ip::make_address("10.0.0.1");
const auto kLowerPeer = ip::make_address("10.0.0.0");
const auto kHigherPeer = ip::make_address("10.0.0.2");

FsmParams params(int version, std::chrono::microseconds interval, std::uint8_t priority,
                 bool preempt = true) {
    return FsmParams{version, interval, priority, preempt, 0us, kSelf};
}

template <class T>
int count(const Actions& actions) {
    int n = 0;
    for (const auto& a : actions) n += std::holds_alternative<T>(a);
    return n;
}

bool sends(const Actions& actions, std::uint8_t priority) {
    for (const auto& a : actions)
        if (auto* s = std::get_if<action::SendAdvert>(&a); s && s->priority == priority)
            return true;
    return false;
}

struct Clocked {
    TimePoint now{};  // the fake clock: starts at the epoch
    Fsm fsm;
    explicit Clocked(FsmParams p) : fsm(std::move(p)) {}
    // Fires every deadline up to `now + d`, exactly at each deadline, and collects the actions.
    Actions advance(std::chrono::microseconds d) {
        Actions all;
        auto end = now + d;
        while (auto deadline = fsm.next_deadline()) {
            if (*deadline > end) break;
            now = std::max(now, *deadline);
            auto out = fsm.on_timer(now);
            all.insert(all.end(), out.begin(), out.end());
        }
        now = end;
        return all;
    }
};

}  // namespace

TEST(Fsm, BackupTakesOverAfterMasterDownIntervalV2) {
    Clocked c(params(2, 1s, 100));
    auto start = c.fsm.start(c.now);
    EXPECT_EQ(c.fsm.state(), State::backup);
    EXPECT_EQ(count<action::RemoveVips>(start), 1);  // stale VIPs of a previous run go
    // 3 x 1 s + (256 - 100) / 256 s = 3.609375 s
    EXPECT_EQ(c.fsm.master_down_interval(), 3609375us);
    EXPECT_TRUE(c.advance(3609374us).empty());
    auto out = c.advance(1us);
    EXPECT_EQ(c.fsm.state(), State::master);
    EXPECT_TRUE(sends(out, 100));
    EXPECT_EQ(count<action::AddVips>(out), 1);
    EXPECT_EQ(count<action::Announce>(out), 1);
    EXPECT_EQ(count<action::Transition>(out), 1);
}

TEST(Fsm, V3SkewScalesWithTheAdvertInterval) {
    Clocked c(params(3, 100ms, 100));
    c.fsm.start(c.now);
    EXPECT_EQ(c.fsm.skew_time(), 60937us);
    EXPECT_EQ(c.fsm.master_down_interval(), 360937us);
}

TEST(Fsm, MasterAdvertsOnAbsoluteDeadlinesWithoutDrift) {
    Clocked c(params(3, 100ms, 254));
    c.fsm.start(c.now);
    c.advance(c.fsm.master_down_interval());
    ASSERT_EQ(c.fsm.state(), State::master);
    auto first = *c.fsm.next_deadline();
    for (int k = 1; k <= 1000; ++k) {
        // The loop wakes 3 ms late every time; the schedule must not slide.
        c.now = *c.fsm.next_deadline() + 3ms;
        auto out = c.fsm.on_timer(c.now);
        ASSERT_TRUE(sends(out, 254));
        EXPECT_EQ(*c.fsm.next_deadline(), first + k * 100ms);
    }
}

TEST(Fsm, MasterDoesNotBurstAfterAStall) {
    Clocked c(params(3, 100ms, 200));
    c.fsm.start(c.now);
    c.advance(1s);
    ASSERT_EQ(c.fsm.state(), State::master);
    c.now += 5s;  // the process was stopped
    auto out = c.fsm.on_timer(c.now);
    EXPECT_EQ(count<action::SendAdvert>(out), 1);
    EXPECT_EQ(*c.fsm.next_deadline(), c.now + 100ms);
}

TEST(Fsm, BackupStaysWhileHigherOrEqualMasterAdvertises) {
    Clocked c(params(2, 1s, 100));
    c.fsm.start(c.now);
    for (int i = 0; i < 20; ++i) {
        c.advance(1s);
        c.fsm.on_advert(c.now, 101, 1s, kHigherPeer);
    }
    EXPECT_EQ(c.fsm.state(), State::backup);
    EXPECT_TRUE(c.fsm.following_master());
    EXPECT_EQ(c.fsm.master_address(), kHigherPeer);
}

TEST(Fsm, PreemptingBackupIgnoresLowerMasterAndTakesOver) {
    Clocked c(params(2, 1s, 101));
    c.fsm.start(c.now);
    auto began = c.now;
    Actions all;
    for (int i = 0; i < 10; ++i) {
        auto out = c.advance(1s);
        all.insert(all.end(), out.begin(), out.end());
        auto in = c.fsm.on_advert(c.now, 100, 1s, kHigherPeer);
        all.insert(all.end(), in.begin(), in.end());
    }
    EXPECT_EQ(c.fsm.state(), State::master);
    ASSERT_EQ(count<action::Transition>(all), 1);
    EXPECT_GE(c.fsm.lower_discarded(), 1u) << "the ignored adverts are counted";
    for (const auto& a : all) {
        if (auto* t = std::get_if<action::Transition>(&a)) {
            EXPECT_EQ(t->reason, "preempting 10.0.0.2 (priority 100 < 101)")
                << "the master is alive: it is preempted, not down";
        }
    }
    (void)began;
}

// Two sync-group members held back by each other must not keep following lower masters
// they would preempt, or the group never takes over (each holds the other forever).
TEST(Fsm, HeldBackupDoesNotFollowAMasterItWouldPreempt) {
    Clocked c(params(3, 100ms, 100));
    c.fsm.start(c.now);
    c.fsm.on_advert(c.now, 200, 100ms, kHigherPeer);
    ASSERT_TRUE(c.fsm.following_master());
    c.fsm.set_hold(c.now, true, "sync group: a member follows another master");
    for (int i = 0; i < 10; ++i) {  // the old master now advertises a lower priority
        c.advance(100ms);
        c.fsm.on_advert(c.now, 41, 100ms, kHigherPeer);
    }
    EXPECT_FALSE(c.fsm.following_master());
    EXPECT_EQ(c.fsm.state(), State::backup) << "held: no take-over";
    c.fsm.set_hold(c.now, false, "");
    c.advance(1s);
    EXPECT_EQ(c.fsm.state(), State::master);
}

TEST(Fsm, NopreemptBackupFollowsLowerMaster) {
    Clocked c(params(2, 1s, 101, /*preempt=*/false));
    c.fsm.start(c.now);
    for (int i = 0; i < 20; ++i) {
        c.advance(1s);
        c.fsm.on_advert(c.now, 100, 1s, kLowerPeer);
    }
    EXPECT_EQ(c.fsm.state(), State::backup);
}

TEST(Fsm, PreemptDelayToleratesLowerMasterForAWhile) {
    auto p = params(3, 100ms, 150);
    p.preempt_delay = 2s;
    Clocked c(p);
    c.fsm.start(c.now);
    TimePoint became_master{};
    std::string reason;
    auto note_transition = [&](const Actions& out) {
        for (const auto& a : out)
            if (auto* t = std::get_if<action::Transition>(&a)) reason = t->reason;
    };
    for (int i = 0; i < 60 && c.fsm.state() == State::backup; ++i) {
        note_transition(c.advance(100ms));
        c.fsm.on_advert(c.now, 100, 100ms, kLowerPeer);
        if (c.fsm.state() == State::master) became_master = c.now;
    }
    for (int i = 0; i < 10 && c.fsm.state() == State::backup; ++i) {
        note_transition(c.advance(100ms));
        if (c.fsm.state() == State::master) became_master = c.now;
        c.fsm.on_advert(c.now, 100, 100ms, kLowerPeer);
    }
    ASSERT_EQ(c.fsm.state(), State::master);
    // Tolerated adverts were accepted as the master's; the take-over still names a preemption.
    EXPECT_EQ(reason, "preempting 10.0.0.0 (priority 100 < 150)");
    // First lower advert at 0.1 s; tolerated until 2.1 s; then master-down (~0.34 s) later.
    EXPECT_GE(became_master - TimePoint{}, 2100ms);
    EXPECT_LE(became_master - TimePoint{}, 2600ms);
}

TEST(Fsm, PriorityZeroMakesBackupTakeOverAfterSkewOnly) {
    Clocked c(params(2, 1s, 100));
    c.fsm.start(c.now);
    c.advance(1s);
    c.fsm.on_advert(c.now, 101, 1s, kHigherPeer);
    c.advance(500ms);
    c.fsm.on_advert(c.now, 0, 1s, kHigherPeer);
    EXPECT_TRUE(c.advance(609374us).empty());
    c.advance(1us);
    EXPECT_EQ(c.fsm.state(), State::master);
}

TEST(Fsm, MasterYieldsToHigherPriority) {
    Clocked c(params(3, 100ms, 100));
    c.fsm.start(c.now);
    c.advance(1s);
    ASSERT_EQ(c.fsm.state(), State::master);
    auto out = c.fsm.on_advert(c.now, 200, 100ms, kHigherPeer);
    EXPECT_EQ(c.fsm.state(), State::backup);
    EXPECT_EQ(count<action::RemoveVips>(out), 1);
    // One advert at our priority tells the winner there were two masters (a healed partition).
    EXPECT_EQ(count<action::SendAdvert>(out), 1);
    EXPECT_TRUE(sends(out, 100));
    // That master dies before its next advert: the take-over names it.
    auto takeover = c.advance(1s);
    ASSERT_EQ(c.fsm.state(), State::master);
    for (const auto& a : takeover)
        if (auto* t = std::get_if<action::Transition>(&a)) {
            EXPECT_EQ(t->reason, "master 10.0.0.2 down");
        }
}

TEST(Fsm, EqualPriorityHigherAddressWins) {
    Clocked low(params(3, 100ms, 100));
    low.fsm.start(low.now);
    low.advance(1s);
    low.fsm.on_advert(low.now, 100, 100ms, kHigherPeer);
    EXPECT_EQ(low.fsm.state(), State::backup);

    Clocked high(params(3, 100ms, 100));
    high.fsm.start(high.now);
    high.advance(1s);
    auto out = high.fsm.on_advert(high.now, 100, 100ms, kLowerPeer);
    EXPECT_EQ(high.fsm.state(), State::master);
    EXPECT_TRUE(sends(out, 100));
}

TEST(Fsm, MasterAssertsAtOnceAgainstLowerOrResigningPeer) {
    Clocked c(params(3, 100ms, 150));
    c.fsm.start(c.now);
    c.advance(1s);
    EXPECT_TRUE(sends(c.fsm.on_advert(c.now, 100, 100ms, kHigherPeer), 150));
    EXPECT_TRUE(sends(c.fsm.on_advert(c.now + 30ms, 0, 100ms, kHigherPeer), 150));
    EXPECT_EQ(c.fsm.state(), State::master);
}

// After a partition heals, clients may have learned the other master's MAC for the VIPs:
// the surviving master announces them again, at most once a second however many adverts.
TEST(Fsm, MasterReannouncesAgainstALowerPriorityMaster) {
    Clocked c(params(3, 100ms, 150));
    c.fsm.start(c.now);
    c.advance(400ms);  // master-down is 0.34 s
    ASSERT_EQ(c.fsm.state(), State::master);
    EXPECT_EQ(count<action::Announce>(c.fsm.on_advert(c.now, 100, 100ms, kLowerPeer)), 0)
        << "the take-over's own announcement was just sent";
    c.advance(3s);
    int announcements = 0;
    for (int i = 0; i < 100; ++i) {  // two seconds of a lower master's adverts
        c.advance(20ms);
        announcements += count<action::Announce>(c.fsm.on_advert(c.now, 100, 100ms, kLowerPeer));
    }
    EXPECT_EQ(announcements, 2);
    EXPECT_EQ(count<action::Announce>(c.fsm.on_advert(c.now, 0, 100ms, kLowerPeer)), 0)
        << "a resigning peer is not a competing master";
}

// A flood of valid adverts (10,000 in one second) is answered at most once per quarter
// interval, not once per packet; the regular adverts go on.
TEST(Fsm, AnswersToAFloodAreRateLimited) {
    Clocked c(params(3, 100ms, 150));
    c.fsm.start(c.now);
    c.advance(1s);
    ASSERT_EQ(c.fsm.state(), State::master);
    int answers = 0;
    for (int i = 0; i < 10000; ++i) {
        auto at = c.now + std::chrono::microseconds(i * 100);
        answers += sends(c.fsm.on_advert(at, i % 2 ? 0 : 100, 100ms, kLowerPeer), 150);
    }
    EXPECT_LE(answers, 41);  // 1 s / 25 ms, +1 for the first
    EXPECT_GE(answers, 39);
    EXPECT_EQ(c.fsm.answers_limited(), 10000u - static_cast<unsigned>(answers));
    EXPECT_EQ(c.fsm.state(), State::master);
}

TEST(Fsm, ShutdownFromMasterSendsPriorityZero) {
    Clocked c(params(2, 1s, 200));
    c.fsm.start(c.now);
    c.advance(5s);
    auto out = c.fsm.shutdown(c.now);
    EXPECT_TRUE(sends(out, 0));
    EXPECT_EQ(count<action::RemoveVips>(out), 1);
    EXPECT_EQ(c.fsm.state(), State::initialize);
    EXPECT_FALSE(c.fsm.next_deadline());
}

TEST(Fsm, FaultHandsOverAndRecoversAsBackup) {
    Clocked c(params(3, 100ms, 200));
    c.fsm.start(c.now);
    c.advance(1s);
    auto out = c.fsm.set_fault(c.now, true, "interface eth1 down");
    EXPECT_TRUE(sends(out, 0));
    EXPECT_EQ(c.fsm.state(), State::fault);
    EXPECT_TRUE(c.advance(10s).empty());  // FAULT never takes over
    c.fsm.set_fault(c.now, false, "cleared");
    EXPECT_EQ(c.fsm.state(), State::backup);
    c.advance(1s);
    EXPECT_EQ(c.fsm.state(), State::master);
}

TEST(Fsm, PriorityChangeIsAdvertisedImmediately) {
    Clocked c(params(2, 1s, 101));
    c.fsm.start(c.now);
    c.advance(4s);
    ASSERT_EQ(c.fsm.state(), State::master);
    auto deadline = *c.fsm.next_deadline();
    auto out = c.fsm.set_priority(c.now, 96);
    EXPECT_TRUE(sends(out, 96));
    EXPECT_EQ(*c.fsm.next_deadline(), deadline);  // the period is kept
}

TEST(Fsm, V3BackupLearnsTheMastersInterval) {
    Clocked c(params(3, 1s, 100));
    c.fsm.start(c.now);
    c.fsm.on_advert(c.now, 200, 100ms, kHigherPeer);
    EXPECT_EQ(c.fsm.master_advert_interval(), 100ms);
    EXPECT_EQ(*c.fsm.next_deadline(), c.now + 360937us);
}

TEST(Fsm, AddressOwnerStartsAsMaster) {
    Clocked c(params(3, 100ms, 255));
    auto out = c.fsm.start(c.now);
    EXPECT_EQ(c.fsm.state(), State::master);
    EXPECT_TRUE(sends(out, 255));
}

TEST(Fsm, HeldBackupNeverTakesOverAndHeldMasterStepsDown) {
    Clocked c(params(3, 100ms, 100));
    c.fsm.start(c.now);
    c.fsm.set_hold(c.now, true, "sync group");
    c.advance(5s);
    EXPECT_EQ(c.fsm.state(), State::backup);
    EXPECT_TRUE(c.fsm.force_master(c.now, "group").empty());
    c.fsm.set_hold(c.now, false, "");
    c.advance(1s);
    ASSERT_EQ(c.fsm.state(), State::master);
    auto out = c.fsm.set_hold(c.now, true, "sync group");
    EXPECT_TRUE(sends(out, 0));
    EXPECT_EQ(c.fsm.state(), State::backup);
}

TEST(Fsm, ForceMasterMovesABackupAtOnce) {
    Clocked c(params(3, 100ms, 100));
    c.fsm.start(c.now);
    auto out = c.fsm.force_master(c.now, "sync group member is MASTER");
    EXPECT_EQ(c.fsm.state(), State::master);
    EXPECT_EQ(count<action::Announce>(out), 1);
}
