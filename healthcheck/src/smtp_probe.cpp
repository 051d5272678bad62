// SMTP_CHECK as a dialogue on the loop: connect, banner 220, EHLO 250 and, with starttls,
// STARTTLS 220, a TLS handshake and EHLO 250 again; then QUIT, without waiting for its answer.
// One deadline covers the whole attempt and says which step it ended in.
#include <fmt/format.h>

#include <boost/asio/read_until.hpp>

#include "directord/healthcheck/wire_messages.hpp"
#include "directord/host_name.hpp"
#include "tcp_dialogue.hpp"

namespace directord::healthcheck {
namespace {

namespace ssl = boost::asio::ssl;
using boost::asio::ip::tcp;

constexpr std::size_t kLongestReply = 16 * 1024;  // a reply longer than this is not a server's

std::string default_helo() {
    auto name = host_name();
    return name.empty() ? "localhost" : name;
}

class SmtpDialogue : public TcpDialogue<SmtpDialogue> {
  public:
    // `tls` and `peer` with starttls; the probe's, as `check` and `helo`.
    SmtpDialogue(boost::asio::io_context& io, ssl::context* tls, const config::SmtpCheck& check,
                 const std::string& helo, const TlsPeer& peer, ProbeHandler done)
        : TcpDialogue(io, std::move(done)),
          tls_context_(tls),
          check_(check),
          helo_(helo),
          peer_(peer) {}

    void start(const tcp::endpoint& target, std::chrono::microseconds timeout) {
        arm(timeout);
        connect(target, [this] { expect(220, "the banner", [this] { ehlo(); }); });
    }

  private:
    void ehlo() {
        say("EHLO " + helo_, 250, tls() ? "EHLO after STARTTLS" : "EHLO", [this] {
            if (!check_.starttls || tls()) return quit();
            say("STARTTLS", 220, "STARTTLS", [this] {
                handshake(*tls_context_, peer_, nullptr, [this] {
                    received_.clear();  // nothing before TLS counts after
                    ehlo();
                });
            });
        });
    }

    void quit() {
        auto verdict = fmt::format("banner 220, EHLO 250{}", tls() ? ", STARTTLS and TLS" : "");
        // Polite, not waited for: the server's state was already judged.
        outgoing_ = "QUIT\r\n";
        send(boost::asio::buffer(outgoing_), "QUIT", [this, verdict] { finish({true, verdict}); });
    }

    // Sends `line`, then expects the reply `code` to it.
    template <class Next>
    void say(const std::string& line, int code, const char* what, Next next) {
        outgoing_ = line + "\r\n";
        send(boost::asio::buffer(outgoing_), what,
             [this, code, what, next] { expect(code, what, next); });
    }

    // Reads one reply (all its lines) and goes on when it has `code`.
    template <class Next>
    void expect(int code, const char* what, Next next) {
        wait_for(what);
        if (auto reply = read_smtp_reply(received_)) {
            received_.erase(0, reply->length);
            if (reply->code == code) return next();
            return fail(reply->code == 0 ? fmt::format("{}: not an SMTP reply", what)
                                         : fmt::format("{} answered {} {}", what, reply->code,
                                                       reply->first_line));
        }
        on_layer([&](auto& layer) {
            boost::asio::async_read_until(
                layer, boost::asio::dynamic_buffer(received_, kLongestReply), '\n',
                step([this, code, what, next](const boost::system::error_code& ec, std::size_t) {
                    if (ec == boost::asio::error::eof)
                        return fail(fmt::format("closed before {}", what));
                    if (ec) return fail(fmt::format("{}: {}", what, ec.message()));
                    expect(code, what, next);
                }));
        });
    }

    ssl::context* tls_context_;
    const config::SmtpCheck& check_;
    const std::string& helo_;
    const TlsPeer& peer_;
    std::string received_, outgoing_;
};

class SmtpProbe : public Probe {
  public:
    SmtpProbe(boost::asio::io_context& io, const config::SmtpCheck& check, tcp::endpoint target)
        : io_(io),
          check_(check),
          target_(target),
          helo_(!check.helo_name.empty() ? check.helo_name : default_helo()),
          // The certificate is verified for the sni, else the target's address.
          peer_(check.sni.empty() ? target.address().to_string() : check.sni, check.verify),
          tls_(check.starttls ? client_tls_context(io, check.verify, check.ca_file) : nullptr) {}
    ~SmtpProbe() override {
        if (current_) current_->abandon();
    }

    void run(std::chrono::microseconds timeout, ProbeHandler done) override {
        current_ =
            std::make_shared<SmtpDialogue>(io_, tls_.get(), check_, helo_, peer_, std::move(done));
        current_->start(target_, timeout);
    }

  private:
    boost::asio::io_context& io_;
    const config::SmtpCheck& check_;
    tcp::endpoint target_;
    std::string helo_;
    TlsPeer peer_;
    std::shared_ptr<ssl::context> tls_;  // with starttls: shared by the loop's checks alike
    std::shared_ptr<SmtpDialogue> current_;
};

}  // namespace

std::unique_ptr<Probe> make_smtp_probe(boost::asio::io_context& io, const config::SmtpCheck& check,
                                       const tcp::endpoint& target) {
    return std::make_unique<SmtpProbe>(io, check, target);
}

}  // namespace directord::healthcheck
