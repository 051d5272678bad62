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
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>

#include "../scratch_dir.hpp"
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

// A minimal HTTP server: answers every request with `status` and `body` after `delay`, as
// HTTP/1.0 (then closes) or, with keep_alive, as HTTP/1.1 on the same connection; over TLS once
// use_tls() was called.
class HttpServer {
  public:
    explicit HttpServer(asio::io_context& io, asio::ip::address address = kLoopback)
        : io_(io), acceptor_(io, tcp::endpoint(address, 0)) {
        accept();
    }
    tcp::endpoint endpoint() const { return acceptor_.local_endpoint(); }
    void use_tls(const std::string& cert, const std::string& key) {
        tls_.emplace(asio::ssl::context::tls_server);
        tls_->use_certificate_chain_file(cert);
        tls_->use_private_key_file(key, asio::ssl::context::pem);
    }
    int status = 200;
    std::string body = "hello from the real server\n";
    std::chrono::milliseconds delay{0};
    int connections = 0;
    int requests = 0;
    std::string last_request;
    std::optional<std::string> raw_response;  // sent as it is instead, then the connection closed
    bool keep_alive = false;
    bool close_after_answer = false;    // keep-alive said, then closed (an idle timeout passing)
    bool drop_repeat_requests = false;  // a connection's second request: closed, unanswered

  private:
    struct Session {
        tcp::socket socket;
        std::optional<asio::ssl::stream<tcp::socket&>> tls;
        asio::streambuf request;
        asio::steady_timer timer;
        std::string response;
        int answered = 0;
        explicit Session(asio::io_context& io) : socket(io), timer(io) {}
        template <class Use>
        void on_layer(Use use) {
            if (tls)
                use(*tls);
            else
                use(socket);
        }
    };
    void accept() {
        auto s = std::make_shared<Session>(io_);
        acceptor_.async_accept(s->socket, [this, s](const boost::system::error_code& ec) {
            if (ec) return;
            ++connections;
            if (!tls_) {
                serve(s);
            } else {
                s->tls.emplace(s->socket, *tls_);
                s->tls->async_handshake(asio::ssl::stream_base::server,
                                        [this, s](const boost::system::error_code& e) {
                                            if (!e) serve(s);
                                        });
            }
            accept();
        });
    }
    void serve(std::shared_ptr<Session> s) {
        s->on_layer([&](auto& layer) {
            asio::async_read_until(layer, s->request, "\r\n\r\n",
                                   [this, s](const boost::system::error_code& e, std::size_t n) {
                                       if (e) return;
                                       ++requests;
                                       last_request.assign(
                                           asio::buffers_begin(s->request.data()),
                                           asio::buffers_begin(s->request.data()) + n);
                                       s->request.consume(n);
                                       if (drop_repeat_requests && s->answered > 0) return close(s);
                                       answer(s);
                                   });
        });
    }
    void answer(std::shared_ptr<Session> s) {
        s->response = (keep_alive ? "HTTP/1.1 " : "HTTP/1.0 ") + std::to_string(status) +
                      " X\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n";
        if (!last_request.starts_with("HEAD")) s->response += body;
        if (raw_response) s->response = *raw_response;
        s->timer.expires_after(delay);
        s->timer.async_wait([this, s](const boost::system::error_code&) {
            s->on_layer([&](auto& layer) {
                asio::async_write(layer, asio::buffer(s->response),
                                  [this, s](const boost::system::error_code& e, std::size_t) {
                                      ++s->answered;
                                      if (e || !keep_alive || raw_response || close_after_answer)
                                          return close(s);
                                      serve(s);
                                  });
            });
        });
    }
    static void close(const std::shared_ptr<Session>& s) {
        boost::system::error_code ignored;
        s->socket.shutdown(tcp::socket::shutdown_both, ignored);
        s->socket.close(ignored);
    }
    asio::io_context& io_;
    tcp::acceptor acceptor_;
    std::optional<asio::ssl::context> tls_;
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

// A self-signed certificate for directord.test and 127.0.0.1, in a directory of its own.
class TestCertificate {
  public:
    TestCertificate() {
        std::string make =
            "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=directord.test "
            "-addext subjectAltName=DNS:directord.test,IP:127.0.0.1 -keyout " +
            key() + " -out " + cert() + " 2>/dev/null";
        EXPECT_EQ(std::system(make.c_str()), 0) << "openssl req failed";
    }
    std::string cert() const { return dir_.file("cert.pem"); }
    std::string key() const { return dir_.file("key.pem"); }

  private:
    ScratchDir dir_;
};

// A real TLS server: openssl s_server with a certificate made for the test.
class TlsServer {
  public:
    explicit TlsServer(asio::ip::address address = kLoopback) : address_(address) {
        std::string cert = certificate_.cert(), key = certificate_.key();
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
                                      cert,
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
    }
    tcp::endpoint endpoint() const { return {address_, port_}; }
    std::string cert() const { return certificate_.cert(); }

  private:
    TestCertificate certificate_;
    asio::ip::address address_;
    std::uint16_t port_ = 0;
    pid_t pid_ = -1;
};

}  // namespace directord::test
