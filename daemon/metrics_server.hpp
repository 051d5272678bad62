#pragma once
// The Prometheus endpoint: GET /metrics over HTTP/1.0 on the configured address (loopback
// unless the operator says otherwise), answered with the renderer's exposition.
#include <boost/asio/ip/tcp.hpp>
#include <memory>

#include "render.hpp"
#include "request_server.hpp"

namespace directord::daemon {

class MetricsServer {
  public:
    // Throws std::runtime_error when the address cannot be bound.
    MetricsServer(boost::asio::io_context& io, const boost::asio::ip::tcp::endpoint& endpoint,
                  Renderer& renderer);

  private:
    std::unique_ptr<RequestServer<boost::asio::ip::tcp>> server_;
};

}  // namespace directord::daemon
