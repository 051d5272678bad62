// TCP_CHECK: a connection that completes within the timeout is healthy.
//
// Every TCP probe in flight shares one epoll set, nested in the event loop as a single
// descriptor. A probe then costs the system calls of a bare epoll program (socket, connect,
// one epoll_ctl, getsockopt, close) rather than Asio's per-socket registration, mode switch
// and poll: at tens of thousands of checks per second that is most of the difference.
#include <fmt/format.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cerrno>
#include <cstring>

#include "directord/duration.hpp"
#include "directord/healthcheck/probes.hpp"
#include "directord/healthcheck/scheduler.hpp"

namespace directord::healthcheck {

class TcpConnector : public boost::asio::execution_context::service {
  public:
    using Clock = std::chrono::steady_clock;
    static inline boost::asio::execution_context::id id;

    explicit TcpConnector(boost::asio::execution_context& context)
        : service(context),
          io_(static_cast<boost::asio::io_context&>(context)),
          scheduler_(Scheduler::of(io_)),
          epoll_(io_),
          timer_(io_) {
        int fd = ::epoll_create1(EPOLL_CLOEXEC);
        if (fd < 0)
            throw std::system_error(errno, std::generic_category(), "epoll_create1 for TCP checks");
        epoll_.assign(fd);
    }
    ~TcpConnector() override { shutdown(); }

    void shutdown() override {
        for (auto& slot : slots_)
            if (slot.fd >= 0) release(slot);
    }

    // A ticket names one attempt; it goes stale when the attempt ends.
    using Ticket = std::uint64_t;

    Ticket start(const boost::asio::ip::tcp::endpoint& target,
                 const std::optional<config::IpAddress>& bind, std::chrono::microseconds timeout,
                 ProbeHandler done) {
        std::uint32_t index = allocate();
        Slot& slot = slots_[index];
        slot.done = std::move(done);
        slot.started = Clock::now();
        slot.timeout = timeout;
        Ticket ticket = index | (Ticket{slot.generation} << 32);

        int error = 0;
        slot.fd =
            ::socket(target.protocol().family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (slot.fd < 0) {
            error = errno;
        } else if (bind &&
                   ::bind(slot.fd, boost::asio::ip::tcp::endpoint(*bind, 0).data(),
                          target.protocol().family() == AF_INET ? sizeof(sockaddr_in)
                                                                : sizeof(sockaddr_in6)) != 0) {
            error = errno;
        } else if (::connect(slot.fd, target.data(), static_cast<socklen_t>(target.size())) != 0 &&
                   errno != EINPROGRESS) {
            error = errno;
        } else {
            epoll_event event{};
            event.events = EPOLLOUT;
            event.data.u64 = ticket;
            if (::epoll_ctl(epoll_.native_handle(), EPOLL_CTL_ADD, slot.fd, &event) != 0)
                error = errno;
        }
        if (error) {
            // Reported from the loop, never from inside run(). Out of descriptors or buffers:
            // our trouble, not the server's.
            boost::asio::post(io_, [this, ticket, error] {
                if (Slot* s = find(ticket)) {
                    auto failure = failed_call(error);
                    finish(*s, false, std::move(failure.reason), failure.internal);
                }
            });
            return ticket;
        }
        push_deadline(Deadline{slot.started + timeout, ticket});
        if (slot.started + timeout < armed_for_) arm();
        if (!watching_) watch();  // (while a drain is under way, it watches again when done)
        return ticket;
    }

    // Ends an attempt without reporting (its owner is gone).
    void abandon(Ticket ticket) {
        if (Slot* slot = find(ticket)) release(*slot);
    }

  private:
    struct Slot {
        int fd = -1;
        std::uint32_t generation = 1;
        ProbeHandler done;  // empty when the slot is free
        Clock::time_point started;
        std::chrono::microseconds timeout{0};
    };
    struct Deadline {
        Clock::time_point when;
        Ticket ticket;
        bool operator>(const Deadline& other) const { return when > other.when; }
    };

    std::uint32_t allocate() {
        if (free_.empty()) {
            slots_.emplace_back();
            return static_cast<std::uint32_t>(slots_.size() - 1);
        }
        std::uint32_t index = free_.back();
        free_.pop_back();
        return index;
    }

    Slot* find(Ticket ticket) {
        auto index = static_cast<std::uint32_t>(ticket);
        if (index >= slots_.size()) return nullptr;
        Slot& slot = slots_[index];
        return slot.done && slot.generation == ticket >> 32 ? &slot : nullptr;
    }

    // Closes the socket (with a reset: a check leaves no TIME_WAIT socket on the director;
    // closing also takes it out of the epoll set) and frees the slot.
    void release(Slot& slot) {
        if (slot.fd >= 0) {
            linger reset{1, 0};
            ::setsockopt(slot.fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
            ::close(slot.fd);
            slot.fd = -1;
        }
        slot.done = nullptr;
        ++slot.generation;
        free_.push_back(static_cast<std::uint32_t>(&slot - slots_.data()));
    }

    void finish(Slot& slot, bool ok, std::string reason, bool internal = false) {
        auto done = std::move(slot.done);
        auto latency =
            std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - slot.started);
        release(slot);
        done(ProbeResult{ok, std::move(reason), latency, internal});  // may start another probe
    }

    void watch() {
        watching_ = true;
        epoll_.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                          [this](const boost::system::error_code& ec) {
                              if (ec) {
                                  watching_ = false;
                                  return;
                              }
                              scheduler_.defer([this] { on_ready(); });
                          });
    }

    // Up to kEvents completions at a time; more waiting come in the next piece of work.
    void on_ready() {
        constexpr int kEvents = 64;
        epoll_event events[kEvents];
        int count = ::epoll_wait(epoll_.native_handle(), events, kEvents, 0);
        for (int i = 0; i < count; ++i) {
            Slot* slot = find(events[i].data.u64);
            if (!slot) continue;  // ended earlier in this batch
            int error = 0;
            socklen_t length = sizeof error;
            ::getsockopt(slot->fd, SOL_SOCKET, SO_ERROR, &error, &length);
            finish(*slot, error == 0, error ? std::strerror(error) : "connected");
        }
        if (count == kEvents) {
            scheduler_.defer([this] { on_ready(); });
        } else {
            watching_ = false;
            if (active()) watch();
        }
    }

    std::size_t in_flight() const { return slots_.size() - free_.size(); }
    bool active() const { return in_flight() > 0; }

    // The deadlines of attempts that ended early stay in the heap till their time; once they
    // outnumber those in flight they are dropped together, so the heap follows what is in
    // flight rather than the probes started in the last timeout (30,000 a second at 1 s).
    void push_deadline(Deadline deadline) {
        if (deadlines_.size() >= 2 * in_flight() + 64) {
            std::erase_if(deadlines_, [this](const Deadline& d) { return !find(d.ticket); });
            std::make_heap(deadlines_.begin(), deadlines_.end(), std::greater<>{});
        }
        deadlines_.push_back(deadline);
        std::push_heap(deadlines_.begin(), deadlines_.end(), std::greater<>{});
    }
    void pop_deadline() {
        std::pop_heap(deadlines_.begin(), deadlines_.end(), std::greater<>{});
        deadlines_.pop_back();
    }

    void arm() {
        while (!deadlines_.empty() && !find(deadlines_.front().ticket)) pop_deadline();
        if (deadlines_.empty()) {
            armed_for_ = Clock::time_point::max();
            return;
        }
        armed_for_ = deadlines_.front().when;
        timer_.expires_at(armed_for_);
        timer_.async_wait([this](const boost::system::error_code& ec) {
            if (!ec) scheduler_.defer([this] { on_deadline(); });
        });
    }

    void on_deadline() {
        auto now = Clock::now();
        while (!deadlines_.empty() && deadlines_.front().when <= now) {
            Ticket ticket = deadlines_.front().ticket;
            pop_deadline();
            if (Slot* slot = find(ticket))
                finish(*slot, false, "timed out after " + format_duration(slot->timeout));
        }
        arm();
    }

    boost::asio::io_context& io_;
    Scheduler& scheduler_;
    boost::asio::posix::stream_descriptor epoll_;
    boost::asio::steady_timer timer_;
    std::vector<Slot> slots_;
    std::vector<std::uint32_t> free_;
    std::vector<Deadline> deadlines_;  // a heap, soonest first
    Clock::time_point armed_for_ = Clock::time_point::max();
    bool watching_ = false;
};

TcpProbe::TcpProbe(boost::asio::io_context& io, const boost::asio::ip::tcp::endpoint& target,
                   const std::optional<config::IpAddress>& bind)
    : connector_(boost::asio::use_service<TcpConnector>(io)), target_(target), bind_(bind) {}

TcpProbe::~TcpProbe() { connector_.abandon(ticket_); }

void TcpProbe::run(std::chrono::microseconds timeout, ProbeHandler done) {
    ticket_ = connector_.start(target_, bind_, timeout, std::move(done));
}

}  // namespace directord::healthcheck
