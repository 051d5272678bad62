#include "sd_notify.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "directord/log.hpp"

namespace directord::daemon {

SystemdNotifier::SystemdNotifier(boost::asio::io_context& io) : timer_(io) {
    const char* socket_path = std::getenv("NOTIFY_SOCKET");
    if (!socket_path || !*socket_path) return;
    address_ = socket_path;
    if (const char* usec = std::getenv("WATCHDOG_USEC")) {
        const char* pid = std::getenv("WATCHDOG_PID");
        if (!pid || std::strtol(pid, nullptr, 10) == getpid())
            watchdog_ = std::chrono::microseconds(std::strtoull(usec, nullptr, 10));
    }
    unsetenv("NOTIFY_SOCKET");
    unsetenv("WATCHDOG_USEC");
    unsetenv("WATCHDOG_PID");
    fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) log::warning("systemd: cannot open a notify socket: {}", std::strerror(errno));
    if (watchdog_enabled()) feed();
}

SystemdNotifier::~SystemdNotifier() {
    if (fd_ >= 0) close(fd_);
}

void SystemdNotifier::send(const std::string& message) {
    if (fd_ < 0) return;
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (address_.size() >= sizeof(addr.sun_path)) return;
    std::memcpy(addr.sun_path, address_.data(), address_.size());
    if (addr.sun_path[0] == '@') addr.sun_path[0] = '\0';  // abstract namespace
    auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + address_.size());
    if (sendto(fd_, message.data(), message.size(), MSG_NOSIGNAL,
               reinterpret_cast<const sockaddr*>(&addr), length) < 0)
        log::warning("systemd: notify failed: {}", std::strerror(errno));
}

void SystemdNotifier::ready(const std::string& text) { send("READY=1\nSTATUS=" + text); }

// RELOADING=1 with the monotonic time systemd (253+) asks for; older ones ignore it.
void SystemdNotifier::reloading() {
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC, &now);
    send("RELOADING=1\nMONOTONIC_USEC=" +
         std::to_string(static_cast<unsigned long long>(now.tv_sec) * 1000000ull +
                        static_cast<unsigned long long>(now.tv_nsec / 1000)));
}

void SystemdNotifier::stopping() { send("STOPPING=1"); }

void SystemdNotifier::status(const std::string& text) { send("STATUS=" + text); }

// Fed at half the interval systemd allows, from the loop itself.
void SystemdNotifier::feed() {
    send("WATCHDOG=1");
    timer_.expires_after(watchdog_ / 2);
    timer_.async_wait([this](const boost::system::error_code& ec) {
        if (!ec) feed();
    });
}

}  // namespace directord::daemon
