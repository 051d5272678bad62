#pragma once
// systemd's notify protocol, spoken directly (no libsystemd): one datagram per state to the
// socket named by $NOTIFY_SOCKET. The watchdog is fed from a timer on the event loop, so a
// stalled loop stops feeding it and systemd restarts the daemon.
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <string>

namespace directord::daemon {

class SystemdNotifier {
  public:
    // Reads (and unsets, so children do not inherit them) NOTIFY_SOCKET, WATCHDOG_USEC and
    // WATCHDOG_PID. Without NOTIFY_SOCKET every call does nothing.
    explicit SystemdNotifier(boost::asio::io_context& io);
    ~SystemdNotifier();
    SystemdNotifier(const SystemdNotifier&) = delete;
    SystemdNotifier& operator=(const SystemdNotifier&) = delete;

    void ready(const std::string& status);
    void reloading();
    void stopping();
    void status(const std::string& text);
    bool watchdog_enabled() const { return watchdog_ != std::chrono::microseconds::zero(); }

  private:
    void send(const std::string& message);
    void feed();

    int fd_ = -1;
    std::string address_;
    std::chrono::microseconds watchdog_{0};
    boost::asio::steady_timer timer_;
};

}  // namespace directord::daemon
