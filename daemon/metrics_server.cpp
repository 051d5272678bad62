#include "metrics_server.hpp"

#include <fmt/format.h>

#include <stdexcept>

#include "directord/log.hpp"

namespace directord::daemon {
namespace {

std::string http(std::string_view status, std::string_view type, const std::string& body) {
    return fmt::format(
        "HTTP/1.0 {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
        status, type, body.size(), body);
}

}  // namespace

MetricsServer::MetricsServer(boost::asio::io_context& io,
                             const boost::asio::ip::tcp::endpoint& endpoint, const Parts& parts)
    : parts_(parts) {
    try {
        server_ = std::make_unique<RequestServer<boost::asio::ip::tcp>>(
            io, endpoint, "\r\n\r\n", [this](std::string request, auto respond) {
                if (request.starts_with("GET /metrics ") || request.starts_with("GET /metrics?"))
                    respond(http("200 OK", "text/plain; version=0.0.4; charset=utf-8",
                                 metrics(parts_)));
                else
                    respond(http("404 Not Found", "text/plain", "try /metrics\n"));
            });
    } catch (const boost::system::system_error& e) {
        throw std::runtime_error(fmt::format("metrics on {}:{}: {}", endpoint.address().to_string(),
                                             endpoint.port(), e.code().message()));
    }
    log::info("metrics: serving http://{}:{}/metrics", endpoint.address().to_string(),
              endpoint.port());
}

}  // namespace directord::daemon
