#pragma once
// The Prometheus endpoint: GET /metrics over HTTP/1.0 on the configured address (loopback
// unless the operator says otherwise), answered from the loop with metrics(parts).
#include <boost/asio/ip/tcp.hpp>
#include <memory>

#include "request_server.hpp"
#include "status.hpp"

namespace directord::daemon {

class MetricsServer {
  public:
    // Throws std::runtime_error when the address cannot be bound.
    MetricsServer(boost::asio::io_context& io, const boost::asio::ip::tcp::endpoint& endpoint,
                  const Parts& parts);

  private:
    Parts parts_;
    std::unique_ptr<RequestServer<boost::asio::ip::tcp>> server_;
};

}  // namespace directord::daemon
