#pragma once
// directorctl's side of the control socket: one request, then one answer, or (events) a
// stream of lines.
#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace directord::daemon {

class ControlClient {
  public:
    // Connects to `socket_path` and sends `request`; error() says why not. An answer not
    // complete within `timeout_seconds` is an error.
    ControlClient(const std::string& socket_path, const nlohmann::json& request,
                  int timeout_seconds);
    ~ControlClient();
    ControlClient(const ControlClient&) = delete;
    ControlClient& operator=(const ControlClient&) = delete;

    const std::string& error() const { return error_; }  // empty while all is well

    // Everything the daemon sends until it closes, as one JSON answer.
    std::optional<nlohmann::json> answer();
    // A stream's next line (without its newline), waiting up to `wait` (negative: as long as
    // it takes): "" when none came in time; nullopt at the end of the stream (error() says
    // why, empty when the daemon closed it).
    std::optional<std::string> line(std::chrono::milliseconds wait);

  private:
    int fd_ = -1;
    int timeout_seconds_;
    std::string error_;
    std::string received_;  // not yet handed out
};

}  // namespace directord::daemon
