#include "metrics_server.hpp"

#include <fmt/format.h>

#include <stdexcept>

#include "directord/log.hpp"

namespace directord::daemon {
namespace {

Response http(std::string_view status, std::string_view type,
              std::shared_ptr<const std::string> body) {
    auto head = fmt::format(
        "HTTP/1.0 {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        status, type, body->size());
    return Response(std::move(head), std::move(body), {});
}

}  // namespace

MetricsServer::MetricsServer(boost::asio::io_context& io,
                             const boost::asio::ip::tcp::endpoint& endpoint, Renderer& renderer) {
    try {
        server_ = std::make_unique<RequestServer<boost::asio::ip::tcp>>(
            io, endpoint, "\r\n\r\n",
            [&renderer](std::string request, std::string /*peer*/, auto respond, auto /*stream*/) {
                if (request.starts_with("GET /metrics ") || request.starts_with("GET /metrics?"))
                    renderer.request(
                        Renderer::Kind::metrics,
                        [respond](std::shared_ptr<const std::string> text) {
                            respond(http("200 OK", "text/plain; version=0.0.4; charset=utf-8",
                                         std::move(text)));
                        });
                else
                    respond(http("404 Not Found", "text/plain",
                                 std::make_shared<const std::string>("try /metrics\n")));
            });
    } catch (const boost::system::system_error& e) {
        throw std::runtime_error(fmt::format("metrics on {}:{}: {}", endpoint.address().to_string(),
                                             endpoint.port(), e.code().message()));
    }
    log::info("metrics: serving http://{}:{}/metrics", endpoint.address().to_string(),
              endpoint.port());
}

}  // namespace directord::daemon
