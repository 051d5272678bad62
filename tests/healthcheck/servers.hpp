#pragma once
// Real servers for the health-check tests: an in-process HTTP server, openssl s_server for
// TLS, and the helpers that run one probe to its end.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>

#include "directord/healthcheck/probes.hpp"

namespace directord::test {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace std::chrono_literals;
using healthcheck::make_probe;
using healthcheck::ProbeResult;

inline const auto kLoopback = asio::ip::make_address("127.0.0.1");
inline const auto kLoopback6 = asio::ip::make_address("::1");

// Why ::1 cannot be used here (a machine without IPv6), or nothing.
inline std::optional<std::string> ipv6_loopback_missing() {
    asio::io_context io;
    boost::system::error_code ec;
    tcp::acceptor a(io);
    a.open(tcp::v6(), ec);
    if (!ec) a.bind(tcp::endpoint(kLoopback6, 0), ec);
    if (ec) return "no IPv6 loopback on this machine: " + ec.message();
    return std::nullopt;
}

// A minimal HTTP/1.0 server: answers every request with `status` and `body` after `delay`.
class HttpServer {
  public:
    explicit HttpServer(asio::io_context& io, asio::ip::address address = kLoopback)
        : io_(io), acceptor_(io, tcp::endpoint(address, 0)) {
        accept();
    }
    tcp::endpoint endpoint() const { return acceptor_.local_endpoint(); }
    int status = 200;
    std::string body = "hello from the real server\n";
    std::chrono::milliseconds delay{0};
    int connections = 0;
    std::string last_request;
    std::optional<std::string> raw_response;  // sent as it is instead, then the connection closed

  private:
    struct Session {
        tcp::socket socket;
        asio::streambuf request;
        asio::steady_timer timer;
        std::string response;
        explicit Session(asio::io_context& io) : socket(io), timer(io) {}
    };
    void accept() {
        auto s = std::make_shared<Session>(io_);
        acceptor_.async_accept(s->socket, [this, s](const boost::system::error_code& ec) {
            if (ec) return;
            ++connections;
            asio::async_read_until(
                s->socket, s->request, "\r\n\r\n",
                [this, s](const boost::system::error_code& e, std::size_t) {
                    if (e) return;
                    last_request.assign(asio::buffers_begin(s->request.data()),
                                        asio::buffers_end(s->request.data()));
                    s->response = "HTTP/1.0 " + std::to_string(status) +
                                  " X\r\nContent-Length: " + std::to_string(body.size()) +
                                  "\r\n\r\n";
                    if (!last_request.starts_with("HEAD")) s->response += body;
                    if (raw_response) s->response = *raw_response;
                    s->timer.expires_after(delay);
                    s->timer.async_wait([s](const boost::system::error_code&) {
                        asio::async_write(s->socket, asio::buffer(s->response),
                                          [s](const boost::system::error_code&, std::size_t) {});
                    });
                });
            accept();
        });
    }
    asio::io_context& io_;
    tcp::acceptor acceptor_;
};

inline ProbeResult run_probe(asio::io_context& io, healthcheck::Probe& probe,
                             std::chrono::microseconds timeout) {
    std::optional<ProbeResult> result;
    probe.run(timeout, [&](const ProbeResult& r) { result = r; });
    for (int i = 0; i < 1000 && !result; ++i) {
        io.restart();  // a previous run may have left the context stopped (out of work)
        io.run_for(10ms);
    }
    EXPECT_TRUE(result.has_value());
    return result.value_or(ProbeResult{});
}

inline ProbeResult run_probe(asio::io_context& io, const config::Check& check,
                             tcp::endpoint target) {
    return run_probe(io, *make_probe(io, check, target), check.timeout);
}

inline config::Check tcp_check(std::chrono::microseconds timeout = 500ms) {
    config::Check c;
    c.kind = config::TcpCheck{};
    c.timeout = timeout;
    return c;
}

inline config::Check http_check(config::HttpCheck h, std::chrono::microseconds timeout = 1s) {
    config::Check c;
    c.kind = std::move(h);
    c.timeout = timeout;
    return c;
}

inline tcp::endpoint closed_port(asio::ip::address address = kLoopback) {
    asio::io_context io;
    tcp::acceptor a(io, tcp::endpoint(address, 0));
    return a.local_endpoint();  // closed again when `a` goes
}

// A real TLS server: openssl s_server with a certificate made for the test.
class TlsServer {
  public:
    explicit TlsServer(asio::ip::address address = kLoopback) : address_(address) {
        dir_ =
            std::filesystem::temp_directory_path() / ("directord-tls-" + std::to_string(getpid()));
        std::filesystem::create_directories(dir_);
        cert_ = (dir_ / "cert.pem").string();
        std::string key = (dir_ / "key.pem").string();
        std::string make =
            "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=directord.test "
            "-addext subjectAltName=DNS:directord.test,IP:127.0.0.1 -keyout " +
            key + " -out " + cert_ + " 2>/dev/null";
        EXPECT_EQ(std::system(make.c_str()), 0) << "openssl req failed";
        port_ = closed_port(address_).port();
        std::string accept =
            (address_.is_v6() ? "[" + address_.to_string() + "]" : address_.to_string()) + ":" +
            std::to_string(port_);
        std::vector<std::string> args{"/usr/bin/openssl",
                                      "s_server",
                                      "-quiet",
                                      "-www",
                                      "-accept",
                                      accept,
                                      "-cert",
                                      cert_,
                                      "-key",
                                      key};
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
        // Not the test's stderr either: if the test dies before killing it, a server holding
        // ctest's output pipe keeps ctest waiting for the whole timeout.
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
        EXPECT_EQ(posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ), 0);
        posix_spawn_file_actions_destroy(&actions);
        for (int i = 0; i < 100; ++i) {  // until it listens
            asio::io_context io;
            tcp::socket s(io);
            boost::system::error_code ec;
            s.connect(endpoint(), ec);
            if (!ec) break;
            std::this_thread::sleep_for(50ms);
        }
    }
    ~TlsServer() {
        kill(pid_, SIGTERM);
        waitpid(pid_, nullptr, 0);
        std::filesystem::remove_all(dir_);
    }
    tcp::endpoint endpoint() const { return {address_, port_}; }
    const std::string& cert() const { return cert_; }

  private:
    asio::ip::address address_;
    std::filesystem::path dir_;
    std::string cert_;
    std::uint16_t port_ = 0;
    pid_t pid_ = -1;
};

}  // namespace directord::test
