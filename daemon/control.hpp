#pragma once
// The control socket `directorctl` speaks to: a unix stream socket (mode 0600), one JSON
// request per connection, `{"command": "...", "arguments": {...}}` and a newline, answered
// with `{"result": 0|1, "text": "...", "arguments": {...}}` and a newline (result 0 = done).
// Commands: status, reload, maintenance (arguments {"on": bool}), garp ({"instance": name}).
#include <boost/asio/local/stream_protocol.hpp>
#include <functional>
#include <memory>
#include <string>

#include "loading.hpp"
#include "render.hpp"
#include "request_server.hpp"

namespace directord::daemon {

class ControlSocket {
  public:
    // Binds `path` (a stale socket left by a dead daemon is replaced; a live one is an error:
    // throws std::runtime_error). Requests that cannot be served are answered, logged and
    // counted in `rejected`; no request can end the process.
    using Reload = std::function<void(Reloader::Outcome)>;
    ControlSocket(boost::asio::io_context& io, const std::string& path, vrrp::Engine& engine,
                  Renderer& renderer, unsigned long& rejected, Reload reload);
    ~ControlSocket();
    ControlSocket(const ControlSocket&) = delete;
    ControlSocket& operator=(const ControlSocket&) = delete;

    const std::string& path() const { return path_; }

  private:
    using Respond = RequestServer<boost::asio::local::stream_protocol>::Respond;
    void handle(const std::string& request, Respond respond);
    void serve(const std::string& request, const Respond& respond);
    void reject(const std::string& why, const Respond& respond);

    std::string path_;
    vrrp::Engine& engine_;
    Renderer& renderer_;
    unsigned long& rejected_;
    Reload reload_;
    std::unique_ptr<RequestServer<boost::asio::local::stream_protocol>> server_;
};

}  // namespace directord::daemon
