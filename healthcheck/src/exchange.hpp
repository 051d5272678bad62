#pragma once
// One request and the answers to it over a socket of its own, on the loop: the shape the UDP,
// DNS and ping probes share. The socket lives for one attempt; the attempt ends with exactly
// one report (a verdict, an error, or the silence verdict when the timeout passes), never from
// inside start().
#include <sys/socket.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "directord/healthcheck/probe.hpp"

namespace directord::healthcheck {

struct Verdict {
    bool ok = false;
    std::string reason;
};

class Exchange : public std::enable_shared_from_this<Exchange> {
  public:
    // Reads what arrived (one datagram, or everything a stream brought so far): a verdict, or
    // nullopt to keep waiting (someone else's datagram, or an answer still incomplete).
    using Judge = std::function<std::optional<Verdict>(std::string_view received)>;
    struct Request {
        int socket = -1;  // non-blocking, not yet connected; the exchange owns it from here
        bool stream = false;
        sockaddr_storage peer{};
        socklen_t peer_length = 0;
        std::string bytes;  // sent once connected
        Judge judge;
        Verdict silence;  // when the timeout passes with no verdict
    };

    static std::shared_ptr<Exchange> start(boost::asio::io_context& io, Request request,
                                           std::chrono::microseconds timeout, ProbeHandler done);
    // Ends the attempt without a report (its probe is gone).
    void abandon();

    Exchange(boost::asio::io_context& io, Request request, ProbeHandler done);

  private:
    void connected();
    void wait_for_answer();
    void read_answer();
    void finish(const Verdict& verdict, bool internal = false);
    void fail(int error);

    boost::asio::posix::stream_descriptor socket_;
    boost::asio::steady_timer deadline_;
    Request request_;
    ProbeHandler done_;
    std::string received_;  // a stream's bytes so far
    std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

}  // namespace directord::healthcheck
