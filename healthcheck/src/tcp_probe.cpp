// TCP_CHECK: a connection that completes within the timeout is healthy.
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "directord/duration.hpp"
#include "directord/healthcheck/probes.hpp"

namespace directord::healthcheck {

TcpProbe::TcpProbe(boost::asio::io_context& io, boost::asio::ip::tcp::endpoint target,
                   std::optional<config::IpAddress> bind)
    : io_(io), target_(target), bind_(bind) {}

TcpProbe::~TcpProbe() { *alive_ = false; }

void TcpProbe::run(std::chrono::microseconds timeout, ProbeHandler done) {
    struct Attempt {
        boost::asio::ip::tcp::socket socket;
        boost::asio::steady_timer deadline;
        ProbeHandler done;
        std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
        bool finished = false;
        Attempt(boost::asio::io_context& io, ProbeHandler d)
            : socket(io), deadline(io), done(std::move(d)) {}
        void finish(bool ok, std::string reason) {
            if (finished) return;
            finished = true;
            boost::system::error_code ignored;
            deadline.cancel();
            socket.close(ignored);
            done(ProbeResult{ok, std::move(reason),
                             std::chrono::duration_cast<std::chrono::microseconds>(
                                 std::chrono::steady_clock::now() - started)});
        }
    };
    auto attempt = std::make_shared<Attempt>(io_, std::move(done));
    auto alive = std::weak_ptr<bool>(alive_);
    boost::system::error_code ec;
    attempt->socket.open(target_.protocol(), ec);
    if (!ec && bind_) attempt->socket.bind(boost::asio::ip::tcp::endpoint(*bind_, 0), ec);
    if (ec) {
        boost::asio::post(io_, [attempt, alive, ec] {
            if (alive.lock()) attempt->finish(false, "cannot open socket: " + ec.message());
        });
        return;
    }
    attempt->deadline.expires_after(timeout);
    attempt->deadline.async_wait([attempt, alive, timeout](const boost::system::error_code& e) {
        if (!e && alive.lock())
            attempt->finish(false, "timed out after " + format_duration(timeout));
    });
    attempt->socket.async_connect(target_, [attempt, alive](const boost::system::error_code& e) {
        if (e == boost::asio::error::operation_aborted || !alive.lock()) return;
        attempt->finish(!e, e ? e.message() : "connected");
    });
}

}  // namespace directord::healthcheck
