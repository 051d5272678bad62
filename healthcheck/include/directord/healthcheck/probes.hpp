#pragma once
// The probe kinds.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <map>
#include <memory>
#include <optional>

#include "directord/healthcheck/probe.hpp"
#include "directord/healthcheck/process.hpp"

namespace directord::healthcheck {

class TcpConnector;

// TCP_CHECK. Small (one per checked real server): `target` and `bind` are the owner's and
// must outlive the probe.
class TcpProbe : public Probe {
  public:
    TcpProbe(boost::asio::io_context& io, const boost::asio::ip::tcp::endpoint& target,
             const std::optional<config::IpAddress>& bind);
    ~TcpProbe() override;
    void run(std::chrono::microseconds timeout, ProbeHandler done) override;

  private:
    TcpConnector& connector_;  // the loop's shared TCP connect engine
    const boost::asio::ip::tcp::endpoint& target_;
    const std::optional<config::IpAddress>& bind_;
    std::uint64_t ticket_ = 0;  // the attempt in flight (stale once it ended)
};

// MISC_CHECK: a program (no shell) whose exit status 0 means healthy. It gets the target in
// DIRECTORD_RS_ADDRESS and DIRECTORD_RS_PORT; one run at a time, its process group killed on
// timeout.
class ScriptProbe : public Probe {
  public:
    ScriptProbe(boost::asio::io_context& io, boost::asio::ip::tcp::endpoint target,
                std::vector<std::string> argv, config::RunAs run_as);
    void run(std::chrono::microseconds timeout, ProbeHandler done) override;

  private:
    std::vector<std::string> argv_;
    config::RunAs run_as_;
    std::vector<std::string> env_;
    ProcessSlot slot_;
};

// HTTP_GET / SSL_GET: one HTTP/1.1 request on the loop, over TLS (Asio with OpenSSL) for HTTPS.
// `check` is the owner's and must outlive the probe (as for SMTP).
std::unique_ptr<Probe> make_http_probe(boost::asio::io_context& io, const config::HttpCheck& check,
                                       const boost::asio::ip::tcp::endpoint& target);

// MySQL / Galera wsrep (MariaDB Connector/C non-blocking API on the event loop).
std::unique_ptr<Probe> make_mysql_probe(boost::asio::io_context& io,
                                        const config::MysqlCheck& check,
                                        const boost::asio::ip::tcp::endpoint& target);
std::unique_ptr<Probe> make_galera_probe(boost::asio::io_context& io,
                                         const config::GaleraCheck& check,
                                         const boost::asio::ip::tcp::endpoint& target);
// UDP, DNS (over UDP or TCP) and ICMP echo: one request, answers judged as they come.
std::unique_ptr<Probe> make_udp_probe(boost::asio::io_context& io, const config::UdpCheck& check,
                                      const boost::asio::ip::tcp::endpoint& target);
std::unique_ptr<Probe> make_dns_probe(boost::asio::io_context& io, const config::DnsCheck& check,
                                      const boost::asio::ip::tcp::endpoint& target);
std::unique_ptr<Probe> make_ping_probe(boost::asio::io_context& io,
                                       const boost::asio::ip::tcp::endpoint& target);
// SMTP: banner, EHLO, optionally STARTTLS with a TLS handshake (Asio with OpenSSL), QUIT.
std::unique_ptr<Probe> make_smtp_probe(boost::asio::io_context& io, const config::SmtpCheck& check,
                                       const boost::asio::ip::tcp::endpoint& target);
// Why a Galera node's SHOW GLOBAL STATUS LIKE 'wsrep_%' makes it unfit for traffic; empty = fit.
std::string judge_wsrep(const std::map<std::string, std::string>& status, bool donor_ok);

}  // namespace directord::healthcheck
