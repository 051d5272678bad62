#include "control_client.hpp"

#include <fmt/format.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace directord::daemon {

using nlohmann::json;

ControlClient::ControlClient(const std::string& socket_path, const json& request,
                             int timeout_seconds)
    : timeout_seconds_(timeout_seconds) {
    fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) {
        error_ = std::strerror(errno);
        return;
    }
    timeval timeout{timeout_seconds, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (socket_path.size() >= sizeof addr.sun_path) {
        error_ = "socket path too long";
        return;
    }
    std::memcpy(addr.sun_path, socket_path.data(), socket_path.size());
    if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        error_ = fmt::format("cannot reach directord on {}: {}", socket_path, std::strerror(errno));
        return;
    }
    auto text = request.dump() + "\n";
    if (send(fd_, text.data(), text.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(text.size()))
        error_ = fmt::format("sending to {}: {}", socket_path, std::strerror(errno));
}

ControlClient::~ControlClient() {
    if (fd_ >= 0) close(fd_);
}

std::optional<json> ControlClient::answer() {
    if (!error_.empty()) return std::nullopt;
    char buffer[65536];
    for (;;) {
        auto n = recv(fd_, buffer, sizeof buffer, 0);
        if (n == 0) break;
        if (n < 0) {
            error_ = errno == EAGAIN ? fmt::format("no answer within {} s", timeout_seconds_)
                                     : std::string(std::strerror(errno));
            return std::nullopt;
        }
        received_.append(buffer, static_cast<std::size_t>(n));
    }
    try {
        return json::parse(std::exchange(received_, {}));
    } catch (const json::exception& e) {
        error_ = std::string("unreadable answer: ") + e.what();
        return std::nullopt;
    }
}

std::optional<std::string> ControlClient::line(std::chrono::milliseconds wait) {
    if (!error_.empty()) return std::nullopt;
    auto deadline = std::chrono::steady_clock::now() + wait;
    for (;;) {
        if (auto end = received_.find('\n'); end != std::string::npos) {
            auto line = received_.substr(0, end);
            received_.erase(0, end + 1);
            return line;
        }
        int left = -1;
        if (wait.count() >= 0) {
            auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            if (remaining.count() <= 0) return std::string();
            left = static_cast<int>(remaining.count());
        }
        pollfd p{fd_, POLLIN, 0};
        int ready = poll(&p, 1, left);
        if (ready < 0 && errno == EINTR) continue;
        if (ready == 0) return std::string();
        char buffer[65536];
        auto n = ready < 0 ? -1 : recv(fd_, buffer, sizeof buffer, MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
        if (n <= 0) {
            if (n < 0) error_ = std::strerror(errno);
            return std::nullopt;
        }
        received_.append(buffer, static_cast<std::size_t>(n));
    }
}

}  // namespace directord::daemon
