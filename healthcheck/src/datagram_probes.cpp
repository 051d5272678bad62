// UDP_CHECK, DNS_CHECK and PING_CHECK: one request, the answers judged as they arrive, each
// attempt on a socket of its own (see exchange.hpp).
#include <fmt/format.h>
#include <netinet/in.h>
#include <re2/re2.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/post.hpp>
#include <cerrno>
#include <cstring>
#include <random>

#include "directord/duration.hpp"
#include "directord/healthcheck/probes.hpp"
#include "directord/healthcheck/wire_messages.hpp"
#include "exchange.hpp"

namespace directord::healthcheck {
namespace {

using boost::asio::ip::tcp;

std::uint64_t random64() {
    static thread_local std::mt19937_64 generator{std::random_device{}()};
    return generator();
}

// The base of the three: one exchange at a time, abandoned with the probe.
class ExchangeProbe : public Probe {
  public:
    ExchangeProbe(boost::asio::io_context& io, const tcp::endpoint& target)
        : io_(io), target_(target) {}
    ~ExchangeProbe() override {
        if (current_) current_->abandon();
    }

    void run(std::chrono::microseconds timeout, ProbeHandler done) override {
        Exchange::Request request;
        int error = 0;
        request.socket = open(error);
        if (request.socket < 0) {
            boost::asio::post(io_, [done = std::move(done), error] { done(failed_call(error)); });
            return;
        }
        std::memcpy(&request.peer, target_.data(), target_.size());
        request.peer_length = static_cast<socklen_t>(target_.size());
        describe(request, timeout);
        current_ = Exchange::start(io_, std::move(request), timeout, std::move(done));
    }

  protected:
    bool ipv6() const { return target_.address().is_v6(); }
    int family() const { return ipv6() ? AF_INET6 : AF_INET; }
    // A non-blocking socket for this attempt, or -1 with `error` set.
    virtual int open(int& error) = 0;
    // The request's bytes, its judge and its silence verdict.
    virtual void describe(Exchange::Request& request, std::chrono::microseconds timeout) = 0;

    static int open_socket(int family, int type, int protocol, int& error) {
        int fd = ::socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
        if (fd < 0) error = errno;
        return fd;
    }

  private:
    boost::asio::io_context& io_;
    tcp::endpoint target_;
    std::shared_ptr<Exchange> current_;
};

class UdpProbe : public ExchangeProbe {
  public:
    UdpProbe(boost::asio::io_context& io, const config::UdpCheck& check,
             const tcp::endpoint& target)
        : ExchangeProbe(io, target), check_(check) {
        if (!check_.reply_regex.empty())
            reply_regex_ = std::make_unique<RE2>(check_.reply_regex, RE2::Quiet);
    }

  private:
    int open(int& error) override { return open_socket(family(), SOCK_DGRAM, 0, error); }

    void describe(Exchange::Request& request, std::chrono::microseconds timeout) override {
        request.bytes = check_.payload;
        request.judge = [this](std::string_view reply) -> std::optional<Verdict> {
            if (!reply.starts_with(check_.reply_prefix))
                return Verdict{false, fmt::format("reply of {} bytes does not start with the "
                                                  "expected {} bytes",
                                                  reply.size(), check_.reply_prefix.size())};
            if (reply_regex_ && !RE2::PartialMatch(reply, *reply_regex_))
                return Verdict{false, "reply does not match reply_regex"};
            return Verdict{true, fmt::format("reply of {} bytes", reply.size())};
        };
        request.silence =
            check_.require_reply
                ? Verdict{false, "no reply in " + format_duration(timeout)}
                : Verdict{true, "nothing refused the datagram in " + format_duration(timeout)};
    }

    const config::UdpCheck& check_;
    std::unique_ptr<RE2> reply_regex_;  // validated by the loader; linear time on any reply
};

class DnsProbe : public ExchangeProbe {
  public:
    DnsProbe(boost::asio::io_context& io, const config::DnsCheck& check,
             const tcp::endpoint& target)
        : ExchangeProbe(io, target), check_(check) {}

  private:
    bool tcp() const { return check_.transport == config::DnsTransport::tcp; }
    int open(int& error) override {
        return open_socket(family(), tcp() ? SOCK_STREAM : SOCK_DGRAM, 0, error);
    }

    void describe(Exchange::Request& request, std::chrono::microseconds timeout) override {
        auto id = static_cast<std::uint16_t>(random64());
        auto query = dns_query(id, check_.name, check_.type);
        request.stream = tcp();
        if (tcp()) {
            // Over TCP a message goes with its length in front (RFC 1035 4.2.2).
            request.bytes = {static_cast<char>(query.size() >> 8),
                             static_cast<char>(query.size() & 0xff)};
            request.bytes += query;
        } else {
            request.bytes = std::move(query);
        }
        request.judge = [this, id](std::string_view received) -> std::optional<Verdict> {
            if (tcp()) {
                if (received.size() < 2) return std::nullopt;
                std::size_t length = (static_cast<std::uint8_t>(received[0]) << 8) |
                                     static_cast<std::uint8_t>(received[1]);
                if (received.size() < 2 + length) return std::nullopt;
                received = received.substr(2, length);
            }
            return judge(id, received);
        };
        request.silence = {false, "no answer in " + format_duration(timeout)};
    }

    // Like keepalived: a message that is not the answer to our query is not ours to judge.
    std::optional<Verdict> judge(std::uint16_t id, std::string_view message) const {
        auto header = read_dns_header(message);
        if (!header || header->id != id || !header->response) return std::nullopt;
        auto rcode = rcode_name(header->rcode);
        if (std::find(check_.rcodes.begin(), check_.rcodes.end(), header->rcode) ==
            check_.rcodes.end())
            return Verdict{false, "answered " + rcode};
        if (check_.require_answer && header->answers == 0)
            return Verdict{false, fmt::format("answered {} with no record{}", rcode,
                                              header->truncated ? " (truncated)" : "")};
        return Verdict{true, fmt::format("answered {} with {} record{}", rcode, header->answers,
                                         header->answers == 1 ? "" : "s")};
    }

    const config::DnsCheck& check_;
};

// A datagram ICMP socket where the kernel allows it (net.ipv4.ping_group_range), else a raw one.
class PingProbe : public ExchangeProbe {
  public:
    PingProbe(boost::asio::io_context& io, const tcp::endpoint& target)
        : ExchangeProbe(io, target), id_(static_cast<std::uint16_t>(random64())) {}

  private:
    int open(int& error) override {
        int protocol = ipv6() ? int{IPPROTO_ICMPV6} : int{IPPROTO_ICMP};
        auto& refused = ipv6() ? datagram_refused6_ : datagram_refused4_;
        if (!refused) {
            int fd = open_socket(family(), SOCK_DGRAM, protocol, error);
            if (fd >= 0 || (error != EACCES && error != EPERM)) {
                raw_ = false;
                return fd;
            }
            refused = true;  // not this process's group: raw from now on
        }
        raw_ = true;
        return open_socket(family(), SOCK_RAW, protocol, error);
    }

    void describe(Exchange::Request& request, std::chrono::microseconds timeout) override {
        // The port means nothing to ICMP.
        if (ipv6())
            reinterpret_cast<sockaddr_in6*>(&request.peer)->sin6_port = 0;
        else
            reinterpret_cast<sockaddr_in*>(&request.peer)->sin_port = 0;
        auto nonce = random64();
        auto sequence = ++sequence_;
        request.bytes = icmp_echo_request(ipv6(), id_, sequence, nonce);
        // A datagram socket's echoes carry the kernel's identifier and reach only this socket;
        // a raw socket sees every echo reply from the target, so only ours count.
        request.judge = [v6 = ipv6(), raw = raw_, id = id_, sequence,
                         nonce](std::string_view packet) -> std::optional<Verdict> {
            auto reply = read_echo_reply(v6, raw && !v6, packet);
            if (!reply || reply->sequence != sequence || reply->nonce != nonce ||
                (raw && reply->id != id))
                return std::nullopt;
            return Verdict{true, "echo reply"};
        };
        request.silence = {false, "no echo reply in " + format_duration(timeout)};
    }

    std::uint16_t id_;
    std::uint16_t sequence_ = 0;
    bool raw_ = false;
    static inline std::atomic<bool> datagram_refused4_{false}, datagram_refused6_{false};
};

}  // namespace

std::unique_ptr<Probe> make_udp_probe(boost::asio::io_context& io, const config::UdpCheck& check,
                                      const tcp::endpoint& target) {
    return std::make_unique<UdpProbe>(io, check, target);
}

std::unique_ptr<Probe> make_dns_probe(boost::asio::io_context& io, const config::DnsCheck& check,
                                      const tcp::endpoint& target) {
    return std::make_unique<DnsProbe>(io, check, target);
}

std::unique_ptr<Probe> make_ping_probe(boost::asio::io_context& io, const tcp::endpoint& target) {
    return std::make_unique<PingProbe>(io, target);
}

}  // namespace directord::healthcheck
